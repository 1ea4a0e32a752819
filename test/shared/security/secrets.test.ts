/**
 * No secret is in the repository. Every file git would commit (tracked, plus untracked files that are
 * not ignored) is scanned for keys, connection strings and tokens. The only keys allowed are the
 * public, documented defaults of the local emulators, listed in EMULATOR_DEFAULTS and in
 * docs/security.md.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

/** Published defaults of the local emulators: the same on every developer machine, useless against Azure. */
const EMULATOR_DEFAULTS: ReadonlyArray<{ value: string; what: string }> = [
  {
    what: 'Azurite devstoreaccount1 account key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite)',
    value: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  },
  {
    what: 'Azure Cosmos DB emulator master key (https://learn.microsoft.com/azure/cosmos-db/emulator)',
    value: 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
  },
];

interface SecretRule {
  readonly name: string;
  /** Global regex; capture group 1, when present, is the secret value checked against the allow-list. */
  readonly pattern: RegExp;
}

const RULES: readonly SecretRule[] = [
  { name: 'account key in a connection string', pattern: /AccountKey=([A-Za-z0-9+/]{20,}={0,2})/g },
  { name: 'shared access key in a connection string', pattern: /SharedAccessKey=([A-Za-z0-9+/]{20,}={0,2})/g },
  // 64 random bytes in base64: Cosmos DB master keys and storage account keys. The look-behind skips
  // the lockfile's `sha512-…` integrity hashes, which have the same shape.
  { name: '64-byte base64 key (Cosmos DB or storage)', pattern: /(?<![A-Za-z0-9+/_-])([A-Za-z0-9+/]{86}==)(?![A-Za-z0-9+/=])/g },
  { name: 'AWS access key id', pattern: /\b(AKIA[0-9A-Z]{16})\b/g },
  { name: 'private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g },
  { name: 'SAS token signature', pattern: /(?:^|[?&;"'\s])sig=([A-Za-z0-9%+/]{16,}={0,2})/gi },
  {
    name: 'Microsoft Entra client secret',
    pattern: /(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/g,
  },
  { name: 'GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{36})\b/g },
];

const ALLOWED = new Set(EMULATOR_DEFAULTS.map((entry) => entry.value));
const MAX_SCANNED_BYTES = 10 * 1024 * 1024;

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

function scanText(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES) {
    for (const match of text.matchAll(rule.pattern)) {
      const secret = match[1] ?? match[0];
      if (ALLOWED.has(secret)) continue;
      findings.push({ file, line: text.slice(0, match.index).split('\n').length, rule: rule.name });
    }
  }
  return findings;
}

/** What `git add -A` would pick up: tracked files and untracked files that .gitignore does not exclude. */
function committableFiles(): string[] | undefined {
  try {
    const listing = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return listing.toString('utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function readTextFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined; // deleted in the work tree, still in the index
  const stats = statSync(path);
  if (!stats.isFile() || stats.size > MAX_SCANNED_BYTES) return undefined;
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8192).includes(0)) return undefined; // binary
  return bytes.toString('utf8');
}

const files = committableFiles();
const inGit = files !== undefined;

describe('secret scan', () => {
  (inGit ? it : it.skip)(
    `finds no keys, connection strings or tokens in committable files${inGit ? '' : ' (skipped: not a git work tree)'}`,
    () => {
      const findings = (files ?? []).flatMap((file) => {
        const text = readTextFile(join(ROOT, file));
        return text === undefined ? [] : scanText(file, text);
      });
      expect(findings).toEqual([]);
      expect(files?.length).toBeGreaterThan(10);
    },
  );

  it('does scan untracked files that are not ignored, and skips ignored ones', () => {
    if (!inGit) return;
    expect(files).toContain('test/shared/security/secrets.test.ts');
    expect(files?.some((file) => file.startsWith('node_modules/'))).toBe(false);
  });

  describe('detects each kind of secret (built at run time, so none is in the repo)', () => {
    const key64 = randomBytes(64).toString('base64');
    const samples: [string, string][] = [
      ['storage connection string', `DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=${key64};EndpointSuffix=core.windows.net`],
      ['Cosmos DB connection string', `AccountEndpoint=https://prod.documents.azure.com:443/;AccountKey=${key64};`],
      ['a bare Cosmos DB master key', `const key = '${key64}';`],
      [
        'Event Hubs connection string',
        `Endpoint=sb://prod.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${randomBytes(32).toString('base64')}`,
      ],
      ['AWS key id', `aws_access_key_id = AKIA${randomBytes(8).toString('hex').toUpperCase()}`],
      ['PEM private key', ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' ')],
      ['OpenSSH private key', ['-----BEGIN', 'OPENSSH PRIVATE KEY-----'].join(' ')],
      [
        'SAS URL',
        `https://prod.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sp=r&sig=${encodeURIComponent(randomBytes(32).toString('base64'))}`,
      ],
      ['Entra client secret', `AZURE_CLIENT_SECRET=abc8Q~${'x'.repeat(10)}${randomBytes(12).toString('hex')}`],
      ['GitHub token', `token: ghp_${randomBytes(18).toString('hex')}`],
    ];
    it.each(samples)('%s', (_what, text) => {
      expect(scanText('sample', text).length).toBeGreaterThan(0);
    });
  });

  it('allows exactly the documented emulator defaults, in connection strings or alone', () => {
    for (const { value } of EMULATOR_DEFAULTS) {
      expect(scanText('sample', `AccountEndpoint=https://127.0.0.1:8081/;AccountKey=${value};`)).toEqual([]);
      expect(scanText('sample', `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${value};`)).toEqual([]);
      expect(scanText('sample', `'${value}'`)).toEqual([]);
      // One character changed and it is a secret again.
      const altered = `${value.slice(0, 10)}${value[10] === 'A' ? 'B' : 'A'}${value.slice(11)}`;
      expect(scanText('sample', `AccountKey=${altered};`).length).toBeGreaterThan(0);
      expect(scanText('sample', `'${altered}'`).length).toBeGreaterThan(0);
    }
  });

  it('does not mistake lockfile integrity hashes for keys', () => {
    expect(scanText('package-lock.json', `"integrity": "sha512-${randomBytes(64).toString('base64')}"`)).toEqual([]);
  });
});

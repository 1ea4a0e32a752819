/**
 * In Azure every HTTP route but health needs a key (or Entra), and CORS stays closed. The function
 * files are loaded with a stand-in for the Functions host's core API, so the test sees exactly the
 * binding metadata the host would receive at registration.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Binding {
  readonly type?: string;
  readonly direction?: string;
  readonly authLevel?: string;
  readonly route?: string;
}
interface Registered {
  readonly name: string;
  readonly bindings: Record<string, Binding>;
}

const registered: Registered[] = [];

jest.mock(
  '@azure/functions-core',
  () => ({
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
    registerFunction: (metadata: { name: string; bindings: Record<string, Binding> }) => {
      registered.push({ name: metadata.name, bindings: metadata.bindings });
      return { dispose: () => undefined };
    },
  }),
  { virtual: true },
);

const ROOT = join(__dirname, '..', '..', '..');
const FUNCTIONS_DIR = join(ROOT, 'functions');
/** Routes open without a key, and why. */
const ANONYMOUS_ALLOWED = new Map([['health', 'readiness probes and load balancers call it without a key; it reveals counters only']]);

function functionFiles(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(FUNCTIONS_DIR, file));
}

function httpTriggers(): { name: string; authLevel: string | undefined; route: string | undefined }[] {
  return registered.flatMap(({ name, bindings }) =>
    Object.values(bindings)
      .filter((binding) => binding.type === 'httpTrigger')
      .map((binding) => ({ name, authLevel: binding.authLevel, route: binding.route })),
  );
}

beforeAll(() => {
  for (const file of functionFiles()) {
    jest.isolateModules(() => {
      jest.requireActual<object>(file);
    });
  }
});

describe('HTTP functions need auth in Azure', () => {
  it('sees every HTTP function the files declare, including the Durable Functions starter', () => {
    const declared = functionFiles().filter((file) => /\b(?:app|client)\.http\(/.test(readFileSync(file, 'utf8'))).length;
    const names = httpTriggers().map((trigger) => trigger.name);
    expect(names).toEqual(expect.arrayContaining(['events', 'topItems', 'health']));
    expect(names).toHaveLength(declared);
  });

  it('gives every HTTP function but health the function or admin auth level', () => {
    const open = httpTriggers().filter(
      (trigger) => !ANONYMOUS_ALLOWED.has(trigger.name) && !['function', 'admin'].includes(trigger.authLevel ?? 'function'),
    );
    expect(open).toEqual([]);
    // An absent authLevel means "function" to the host; still, every route should say so explicitly.
    expect(httpTriggers().filter((trigger) => trigger.authLevel === undefined)).toEqual([]);
  });

  it('leaves health open on purpose', () => {
    expect(httpTriggers().find((trigger) => trigger.name === 'health')?.authLevel).toBe('anonymous');
  });
});

describe('CORS is closed by default', () => {
  function findKeys(value: unknown, wanted: RegExp, path = ''): string[] {
    if (typeof value !== 'object' || value === null) return [];
    return Object.entries(value).flatMap(([key, inner]) => [
      ...(wanted.test(key) ? [`${path}${key}`] : []),
      ...findKeys(inner, wanted, `${path}${key}.`),
    ]);
  }

  it('host.json configures no CORS', () => {
    const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as unknown;
    expect(findKeys(host, /cors/i)).toEqual([]);
  });

  it('the local settings sample opens no CORS', () => {
    const sample = join(ROOT, 'local.settings.sample.json');
    if (!existsSync(sample)) return;
    const settings = JSON.parse(readFileSync(sample, 'utf8')) as unknown;
    expect(findKeys(settings, /cors/i)).toEqual([]);
  });

  it('no Bicep file allows an origin', () => {
    const bicepFiles = listFiles(join(ROOT, 'infra')).filter((file) => file.endsWith('.bicep') || file.endsWith('.bicepparam'));
    const offending: string[] = [];
    for (const file of bicepFiles) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/allowedOrigins\s*:\s*(\[[^\]]*\]|[^\n]+)/g)) {
        const value = (match[1] ?? '').trim();
        if (!/^\[\s*\]$/.test(value)) offending.push(`${relative(ROOT, file)}: allowedOrigins ${value}`);
      }
      if (/supportCredentials\s*:\s*true/.test(text)) offending.push(`${relative(ROOT, file)}: supportCredentials true`);
    }
    expect(offending).toEqual([]);
  });
});

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

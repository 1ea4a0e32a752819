/**
 * Supply chain: the production dependencies have no high or critical advisories, and the lockfile pins
 * every package to one version and one integrity hash, so `npm ci` installs exactly what was reviewed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface LockEntry {
  version?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
interface Lockfile {
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

type AuditRun = { reachable: true; high: number; critical: number; names: string[] } | { reachable: false; reason: string };

/**
 * Runs `npm audit --omit=dev --audit-level=high`. A registry that cannot answer audits (offline, or a
 * mirror without the advisory endpoint) is reported as unreachable rather than as a pass or a failure.
 */
function runAudit(): AuditRun {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (run.error) return { reachable: false, reason: `npm could not run: ${run.error.message}` };
  let report: {
    metadata?: { vulnerabilities?: Record<string, number> };
    vulnerabilities?: Record<string, { severity: string }>;
    message?: string;
    error?: { summary?: string };
  };
  try {
    report = JSON.parse(run.stdout) as typeof report;
  } catch {
    return {
      reachable: false,
      reason: `npm audit printed no report (exit ${String(run.status)}): ${run.stderr.trim().split('\n').pop() ?? ''}`,
    };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts)
    return {
      reachable: false,
      reason: `the audit endpoint did not answer: ${report.message ?? report.error?.summary ?? 'no advisories in the report'}`,
    };
  const names = Object.entries(report.vulnerabilities ?? {})
    .filter(([, vulnerability]) => vulnerability.severity === 'high' || vulnerability.severity === 'critical')
    .map(([name, vulnerability]) => `${name} (${vulnerability.severity})`);
  return { reachable: true, high: counts['high'] ?? 0, critical: counts['critical'] ?? 0, names };
}

const audit = runAudit();

describe('npm audit of the production dependencies', () => {
  const title = audit.reachable
    ? 'has no high or critical advisories'
    : `has no high or critical advisories (skipped: ${audit.reason}; run \`npm audit --omit=dev\` where the registry answers audits)`;
  (audit.reachable ? it : it.skip)(title, () => {
    if (!audit.reachable) return;
    expect(audit.names).toEqual([]);
    expect(audit.high + audit.critical).toBe(0);
  });
});

describe('the lockfile pins every dependency', () => {
  const manifest = readJson<PackageJson>('package.json');

  it('exists in a format that records the whole tree (lockfileVersion 2 or later)', () => {
    expect(existsSync(join(ROOT, 'package-lock.json'))).toBe(true);
    expect(readJson<Lockfile>('package-lock.json').lockfileVersion).toBeGreaterThanOrEqual(2);
  });

  it('is in sync with package.json (what npm ci requires)', () => {
    const root = readJson<Lockfile>('package-lock.json').packages?.[''];
    expect(root?.dependencies ?? {}).toEqual(manifest.dependencies ?? {});
    expect(root?.devDependencies ?? {}).toEqual(manifest.devDependencies ?? {});
    expect(root?.optionalDependencies ?? {}).toEqual(manifest.optionalDependencies ?? {});
  });

  it('resolves each direct dependency to one exact version', () => {
    const packages = readJson<Lockfile>('package-lock.json').packages ?? {};
    const direct = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    const unresolved = direct.filter((name) => !/^\d+\.\d+\.\d+(?:[-+].*)?$/.test(packages[`node_modules/${name}`]?.version ?? ''));
    expect(unresolved).toEqual([]);
  });

  // `resolved` may be left out (npm's omit-lockfile-registry-resolved): the configured registry serves
  // the package, and the integrity hash still pins its exact bytes.
  it('gives every installed package an exact version and an integrity hash', () => {
    const packages = readJson<Lockfile>('package-lock.json').packages ?? {};
    const loose = Object.entries(packages)
      .filter(([path, entry]) => path !== '' && !entry.link)
      .filter(([, entry]) => !/^\d+\.\d+\.\d+/.test(entry.version ?? '') || !/^sha(256|384|512)-/.test(entry.integrity ?? ''))
      .map(([path]) => path);
    expect(loose).toEqual([]);
  });
});

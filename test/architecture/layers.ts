import { type Import, type ImportTarget, importsOf, type Source } from './sources';

/**
 * The import directions of the layout: domain ← pipeline ← adapters and hosts (functions/, local/),
 * with tools/ and test/ outside the product. Each rule names the files it covers and says why a
 * target is refused, or returns undefined when the target is fine.
 */
export interface LayerRule {
  readonly name: string;
  readonly covers: (path: string) => boolean;
  readonly refuses: (target: ImportTarget) => string | undefined;
}

export interface LayerViolation {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly reason: string;
}

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const fileUnder = (target: ImportTarget, ...folders: string[]): string | undefined =>
  target.kind === 'file' ? folders.find((folder) => under(folder)(target.path)) : undefined;

/** Pure parsers the domain may use: they touch no clock, disk or network. */
const DOMAIN_PACKAGES: ReadonlySet<string> = new Set(['lossless-json', 'csv-parse', 'hyparquet']);

/** The SDKs and storage engines the adapters wrap. */
const isSdk = (name: string): boolean =>
  name.startsWith('@azure/') || ['durable-functions', 'node-sqlite3-wasm', 'azurite', '@vercel/cosmosdb-server'].includes(name);

/** Node built-ins that reach the disk, the network or other processes. */
const IO_BUILTINS: ReadonlySet<string> = new Set([
  'fs',
  'net',
  'http',
  'https',
  'http2',
  'tls',
  'dgram',
  'dns',
  'child_process',
  'cluster',
  'worker_threads',
]);

export const LAYER_RULES: readonly LayerRule[] = [
  {
    name: 'shared/domain imports only shared/domain (and pure parsers)',
    covers: under('shared/domain'),
    refuses: (target) => {
      if (target.kind === 'file') return under('shared/domain')(target.path) ? undefined : `${target.path} is outside the domain`;
      if (target.kind === 'builtin') return `the Node built-in ${target.name}: the domain is pure`;
      return DOMAIN_PACKAGES.has(target.name) ? undefined : `the package ${target.name} is not one of the domain's pure parsers`;
    },
  },
  {
    name: 'shared/pipeline imports no adapter, host or SDK',
    covers: under('shared/pipeline'),
    refuses: (target) => {
      const folder = fileUnder(target, 'shared/adapters');
      if (folder) return `an adapter (${folder}): use-cases talk to ports`;
      if (target.kind === 'package' && isSdk(target.name)) return `the SDK ${target.name}: use-cases talk to ports`;
      if (target.kind === 'builtin' && IO_BUILTINS.has(target.name)) return `the Node built-in ${target.name} does I/O: use a port`;
      return undefined;
    },
  },
  {
    name: 'shared/ imports no host',
    covers: under('shared'),
    refuses: (target) => {
      const folder = fileUnder(target, 'functions', 'local');
      return folder ? `the host ${folder}/: hosts compose the core, not the other way` : undefined;
    },
  },
  {
    name: 'functions/ imports nothing from local/',
    covers: under('functions'),
    refuses: (target) => (fileUnder(target, 'local') ? 'the local runtime is not deployed with the Function app' : undefined),
  },
  {
    name: 'the product imports no tool or test',
    covers: (path) => !under('test')(path) && !under('tools')(path),
    refuses: (target) => {
      const folder = fileUnder(target, 'tools', 'test');
      return folder ? `${folder}/ is not part of the product` : undefined;
    },
  },
  {
    name: 'tools/ imports nothing from test/',
    covers: under('tools'),
    refuses: (target) => (fileUnder(target, 'test') ? 'test code is not part of the tools' : undefined),
  },
  {
    name: 'local runtime tests import nothing from the fault tests',
    covers: under('test/local'),
    refuses: (target) => (fileUnder(target, 'test/faults') ? 'the local project must run without the faults project' : undefined),
  },
];

export function layerViolations(sources: readonly Source[], rules: readonly LayerRule[] = LAYER_RULES): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const source of sources) {
    const applicable = rules.filter((rule) => rule.covers(source.path));
    if (applicable.length === 0) continue;
    for (const found of importsOf(source)) {
      for (const rule of applicable) {
        const reason = rule.refuses(found.target);
        if (reason) violations.push(violationOf(rule, source, found, reason));
      }
    }
  }
  return violations;
}

const violationOf = (rule: LayerRule, source: Source, found: Import, reason: string): LayerViolation => ({
  rule: rule.name,
  file: source.path,
  line: found.line,
  specifier: found.specifier,
  reason,
});

export const describeViolation = (violation: LayerViolation): string =>
  `${violation.file}:${violation.line} imports '${violation.specifier}': ${violation.reason} (${violation.rule})`;

import { builtinModules } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { FORBIDDEN_PACKAGES, installedPackages } from '../../tools/package';

/**
 * The deployment package holds the production dependencies only (`npm ci --omit=dev`), so everything
 * the Function app loads must resolve from them. This follows every import the compiled functions
 * keep (TypeScript's own transpiler decides which imports survive, type-only ones do not) from
 * functions/*.ts through the relative imports, and checks each package against package.json and the
 * lockfile. `npm run package` also loads every compiled file from the staged package itself.
 */
const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));

/** Module specifiers a source file keeps after compilation: `require(…)` and `import(…)`, static text only. */
function runtimeSpecifiers(file: string): string[] {
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  });
  return [...outputText.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1] as string);
}

/** Every package reachable from the function entry points, with the source files that import it. */
function packagesLoadedByFunctions(): Map<string, string[]> {
  const entries = readdirSync(path.join(ROOT, 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(ROOT, 'functions', name));
  const seen = new Set<string>();
  const packages = new Map<string, string[]>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeSpecifiers(file)) {
      if (specifier.startsWith('.')) {
        const base = path.resolve(path.dirname(file), specifier.replace(/\.js$/, ''));
        const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => {
          try {
            return readFileSync(candidate) !== undefined;
          } catch {
            return false;
          }
        });
        if (!target) throw new Error(`${path.relative(ROOT, file)}: cannot resolve ${specifier}`);
        queue.push(target);
      } else if (!isBuiltin(specifier)) {
        const name = packageOf(specifier);
        packages.set(name, [...(packages.get(name) ?? []), path.relative(ROOT, file)]);
      }
    }
  }
  return packages;
}

/** Where npm resolves `name` from the package installed at `from` (a lockfile key), as Node would. */
function resolveInLock(name: string, from: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) return undefined;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

/** The lockfile entries a package needs at run time, itself included, with any that npm marks dev-only. */
function closureOf(name: string): { missing: string[]; devOnly: string[] } {
  const missing: string[] = [];
  const devOnly: string[] = [];
  const visited = new Set<string>();
  const visit = (dependency: string, from: string, optional: boolean) => {
    const key = resolveInLock(dependency, from);
    if (!key) {
      if (!optional) missing.push(`${dependency} (needed by ${from || 'the app'})`);
      return;
    }
    if (visited.has(key)) return;
    visited.add(key);
    const entry = lock.packages[key] as LockEntry;
    if (entry.dev) devOnly.push(key);
    for (const child of Object.keys(entry.dependencies ?? {})) visit(child, key, false);
    for (const child of Object.keys(entry.optionalDependencies ?? {})) visit(child, key, true);
    for (const child of Object.keys(entry.peerDependencies ?? {}))
      visit(child, key, entry.peerDependenciesMeta?.[child]?.optional === true);
  };
  visit(name, '', false);
  return { missing, devOnly };
}

describe('the deployment package', () => {
  const loaded = packagesLoadedByFunctions();

  it('finds the packages the functions load (a sanity check of the import walk)', () => {
    expect([...loaded.keys()]).toEqual(expect.arrayContaining(['@azure/functions', '@azure/cosmos', 'durable-functions', 'hyparquet']));
    // Type-only imports are erased by the compiler and need no production dependency.
    expect(loaded.has('@types/node')).toBe(false);
  });

  it('has every package the functions load among the production dependencies', () => {
    const notProduction = [...loaded]
      .filter(([name]) => !(name in pkg.dependencies))
      .map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(notProduction).toEqual([]);
  });

  it('resolves each of them, transitively, from packages npm installs with --omit=dev', () => {
    for (const name of loaded.keys()) {
      const { missing, devOnly } = closureOf(name);
      expect({ name, missing, devOnly }).toEqual({ name, missing: [], devOnly: [] });
    }
  });

  it('has no production dependency the functions do not load', () => {
    expect(Object.keys(pkg.dependencies).filter((name) => !loaded.has(name))).toEqual([]);
  });

  it('cannot install the local runtime, the tools, the tests or Node itself', () => {
    const production = new Set<string>();
    for (const name of Object.keys(pkg.dependencies)) {
      const visit = (dependency: string, from: string) => {
        const key = resolveInLock(dependency, from);
        if (!key || production.has(key)) return;
        production.add(key);
        for (const child of Object.keys(lock.packages[key]?.dependencies ?? {})) visit(child, key);
      };
      visit(name, '');
    }
    const names = [...production].map((key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(names.filter((name) => (FORBIDDEN_PACKAGES as readonly string[]).includes(name))).toEqual([]);
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['node', 'azurite', 'tsx', 'node-sqlite3-wasm', 'jest']));
  });
});

describe('installedPackages', () => {
  it('lists top-level, scoped and nested packages of a node_modules tree', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'installed-'));
    try {
      for (const folder of ['a', '@scope/b', 'a/node_modules/c', '@scope/b/node_modules/@x/d', '.bin'])
        mkdirSync(path.join(dir, folder), { recursive: true });
      expect([...installedPackages(dir)].sort()).toEqual(['@scope/b', '@x/d', 'a', 'c']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('.funcignore', () => {
  const patterns = readFileSync(path.join(ROOT, '.funcignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps the development install, the local runtime and the tools out of a Core Tools publish', () => {
    expect(patterns).toEqual(
      expect.arrayContaining(['node_modules/', 'local/', 'tools/', 'test/', 'dist/local/', 'dist/tools/', '*.map', '.package/']),
    );
  });

  it('keeps what the package holds: dist/functions, dist/shared, host.json, package.json and the lockfile', () => {
    for (const kept of ['dist/', 'dist/functions/', 'dist/shared/', 'host.json', 'package.json', 'package-lock.json', '*.js', '*.json'])
      expect(patterns).not.toContain(kept);
  });
});

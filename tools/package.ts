/**
 * `npm run package`: the Function app's deployment package, without the local runtime. Builds dist/,
 * stages what the app loads (dist/functions, dist/shared, host.json, package.json and the lockfile) in
 * a temporary folder, installs the production dependencies there from the lockfile, checks that every
 * compiled file loads from that folder alone and that no development package came along, and writes
 * one zip. The staged folder is kept next to it, for `func azure functionapp publish` (docs/deploy.md).
 */
import AdmZip from 'adm-zip';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatHelp, type OptionSpec, parseOptions, UsageError } from './lib/cli';

const ROOT = path.resolve(__dirname, '..');

/** What the app loads: `package.json` `main` is dist/functions/*.js, which import dist/shared only. */
export const PACKAGE_CONTENT = ['dist/functions', 'dist/shared', 'host.json', 'package.json', 'package-lock.json'] as const;

/** Packages that must never reach Azure: the local runtime, the tools, the tests and the Node binary. */
export const FORBIDDEN_PACKAGES = [
  'azurite',
  'tsx',
  'node-sqlite3-wasm',
  'jest',
  'playwright',
  'playwright-core',
  'node',
  'typescript',
  '@swc/core',
  '@vercel/cosmosdb-server',
  'cli-progress',
] as const;

const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'out',
    kind: 'string',
    placeholder: '<dir>',
    default: '.package',
    description: 'Folder that receives app.zip and the staged app/ folder.',
  },
  { name: 'skip-build', kind: 'flag', description: 'Package the existing dist/ instead of building it again.' },
];

/** Package names installed anywhere under a node_modules folder (nested ones included). */
export function installedPackages(nodeModules: string): Set<string> {
  const found = new Set<string>();
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path.join(dir, entry.name), { withFileTypes: true })) {
          if (!scoped.isDirectory()) continue;
          found.add(`${entry.name}/${scoped.name}`);
          visit(path.join(dir, entry.name, scoped.name, 'node_modules'));
        }
      } else {
        found.add(entry.name);
        visit(path.join(dir, entry.name, 'node_modules'));
      }
    }
  };
  visit(nodeModules);
  return found;
}

/** Copies the package content into `stage`, leaving out source maps (Node does not read them without a flag). */
function stageContent(stage: string): void {
  for (const item of PACKAGE_CONTENT) {
    const from = path.join(ROOT, item);
    if (!existsSync(from)) throw new Error(`${item} is missing: build first (npm run build)`);
    cpSync(from, path.join(stage, item), { recursive: true, filter: (source) => !source.endsWith('.map') });
  }
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/**
 * Loads every compiled file, and every package a file imports dynamically, from the staged folder
 * with no NODE_PATH. The stage sits in the system temp folder, outside the repository, so nothing
 * can resolve from the development node_modules.
 */
const LOAD_CHECK = `
const fs = require('node:fs'), path = require('node:path');
const files = fs.readdirSync('dist', { recursive: true }).filter((f) => f.endsWith('.js')).map((f) => path.resolve('dist', f));
const dynamic = new Set(files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/import\\('([^.'][^']*)'\\)/g)].map((m) => m[1])));
(async () => {
  for (const file of files) require(file);
  for (const name of dynamic) await import(name);
  console.log('package: ' + files.length + ' files and ' + dynamic.size + ' dynamic imports load from the package alone');
})().catch((error) => { console.error(error); process.exit(1); });
`;

function checkPackage(stage: string): void {
  const forbidden = [...installedPackages(path.join(stage, 'node_modules'))].filter((name) =>
    (FORBIDDEN_PACKAGES as readonly string[]).includes(name),
  );
  if (forbidden.length > 0) throw new Error(`development packages in the package: ${forbidden.join(', ')}`);
  // Quiet unless it fails: loading the function files outside the host prints a warning for each.
  const result = spawnSync(process.execPath, ['-e', LOAD_CHECK], { cwd: stage, env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the package does not load on its own:\n${result.stderr}`);
  process.stdout.write(result.stdout);
}

function writeZip(stage: string, zipPath: string): { bytes: number; entries: number } {
  const zip = new AdmZip();
  zip.addLocalFolder(stage);
  zip.writeZip(zipPath);
  return { bytes: statSync(zipPath).size, entries: zip.getEntries().length };
}

export function main(argv: readonly string[], out: (text: string) => void = (text) => process.stdout.write(text)): number {
  const options = parseOptions(argv, OPTIONS);
  if (options.help) {
    out(
      formatHelp({
        usage: 'npm run package -- [options]',
        summary: 'Builds dist/ and writes the Function app package (app.zip) with production dependencies only.',
        options: OPTIONS,
      }),
    );
    return 0;
  }
  const outDir = path.resolve(ROOT, options.string('out'));
  if (!options.flag('skip-build')) {
    rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], ROOT);
  }
  const stage = mkdtempSync(path.join(os.tmpdir(), 'camera-top-items-package-'));
  try {
    stageContent(stage);
    // From the lockfile, production only: the `node` dev dependency and the local runtime stay out.
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], stage);
    checkPackage(stage);
    mkdirSync(outDir, { recursive: true });
    const zipPath = path.join(outDir, 'app.zip');
    const { bytes, entries } = writeZip(stage, zipPath);
    rmSync(path.join(outDir, 'app'), { recursive: true, force: true });
    moveFolder(stage, path.join(outDir, 'app'));
    out(
      `package: ${path.relative(ROOT, zipPath)} ${(bytes / 1024 / 1024).toFixed(1)} MB (${bytes} bytes, ${entries} entries); staged folder ${path.relative(ROOT, path.join(outDir, 'app'))}/\n`,
    );
    return 0;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** rename(2) cannot cross file systems (the temp folder is often tmpfs), so fall back to a copy. */
function moveFolder(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`package: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** A source file by its path from the repository root, with '/' separators. */
export interface Source {
  readonly path: string;
  readonly text: string;
}

export const REPO_ROOT = join(__dirname, '..', '..');

/** The TypeScript files under the given top-level folders, read from disk. */
export function readSources(folders: readonly string[], root = REPO_ROOT): Source[] {
  const sources: Source[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'vendor') walk(path);
      } else if (/\.(m|c)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        sources.push({ path: relative(root, path).split(sep).join('/'), text: readFileSync(path, 'utf8') });
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return sources;
}

export function parse(source: Source): ts.SourceFile {
  return ts.createSourceFile(source.path, source.text, ts.ScriptTarget.Latest, true);
}

/** What a module specifier points at: a repository path (extension dropped), a package, or a Node built-in. */
export type ImportTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'package'; readonly name: string }
  | { readonly kind: 'builtin'; readonly name: string };

export interface Import {
  readonly specifier: string;
  readonly line: number;
  readonly target: ImportTarget;
}

/** Static imports and re-exports (type-only ones included), `import('…')` and `require('…')` with a literal. */
export function importsOf(source: Source): Import[] {
  const file = parse(source);
  const found: Import[] = [];
  const add = (literal: ts.Expression | undefined): void => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const line = file.getLineAndCharacterOfPosition(literal.getStart(file)).line + 1;
    found.push({ specifier: literal.text, line, target: resolve(source.path, literal.text) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isDynamicImport || isRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function resolve(from: string, specifier: string): ImportTarget {
  if (specifier.startsWith('.')) {
    const path = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.(m|c)?(j|t)s$/, '');
    return { kind: 'file', path };
  }
  if (isBuiltin(specifier)) return { kind: 'builtin', name: specifier.replace(/^node:/, '').split('/')[0] as string };
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return { kind: 'package', name };
}

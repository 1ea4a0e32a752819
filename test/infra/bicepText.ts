import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Just enough of Bicep's syntax to read declarations and object literals out of the project's own
 * files, so the tests can check the infrastructure without the Bicep CLI. `code` has the same length
 * and line breaks as `source`, with comments and the literal text of strings blanked out (string
 * interpolations kept), so braces, identifiers and keys found in `code` are real ones, and the same
 * offsets slice the original text out of `source`.
 */
export interface BicepSource {
  readonly file: string;
  readonly source: string;
  readonly code: string;
}

export interface Entry {
  readonly key: string;
  /** The value as written, trimmed. */
  readonly value: string;
  /** The value with comments and string contents blanked. */
  readonly valueCode: string;
}

export interface ParamDeclaration {
  readonly name: string;
  readonly type: string;
  /** The default value as written, or undefined when the parameter is required. */
  readonly defaultValue: string | undefined;
}

export interface ModuleDeclaration {
  readonly symbol: string;
  readonly path: string;
  readonly params: Entry[];
}

type Frame = { kind: 'code'; braces: number } | { kind: 'string' };

export function blankCommentsAndStrings(source: string): string {
  const out = source.split('');
  const frames: Frame[] = [{ kind: 'code', braces: 0 }];
  const blank = (index: number) => {
    if (out[index] !== '\n') out[index] = ' ';
  };
  for (let i = 0; i < source.length; i += 1) {
    const top = frames[frames.length - 1] as Frame;
    const char = source[i];
    const next = source[i + 1];
    if (top.kind === 'code') {
      if (char === '/' && next === '/') {
        while (i < source.length && source[i] !== '\n') blank(i++);
        i -= 1;
      } else if (char === '/' && next === '*') {
        const end = source.indexOf('*/', i + 2);
        const stop = end === -1 ? source.length : end + 2;
        while (i < stop) blank(i++);
        i -= 1;
      } else if (char === "'") {
        frames.push({ kind: 'string' });
      } else if (char === '{') {
        top.braces += 1;
      } else if (char === '}') {
        if (top.braces === 0 && frames.length > 1) frames.pop();
        else top.braces -= 1;
      }
    } else if (char === '\\') {
      blank(i);
      blank(i + 1);
      i += 1;
    } else if (char === "'") {
      frames.pop();
    } else if (char === '$' && next === '{') {
      i += 1;
      frames.push({ kind: 'code', braces: 0 });
    } else {
      blank(i);
    }
  }
  return out.join('');
}

export function readBicep(file: string): BicepSource {
  const source = readFileSync(file, 'utf8');
  return { file, source, code: blankCommentsAndStrings(source) };
}

/** Index of the bracket that closes the one at `open` (`{`/`}` or `[`/`]`), in blanked code. */
export function closingBracket(code: string, open: number): number {
  const opening = code[open];
  const closing = opening === '{' ? '}' : opening === '[' ? ']' : undefined;
  if (!closing) throw new Error(`no bracket at offset ${open}`);
  let depth = 0;
  for (let i = open; i < code.length; i += 1) {
    if (code[i] === opening) depth += 1;
    else if (code[i] === closing && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${opening} at offset ${open}`);
}

/** The `key: value` entries of the object literal whose `{` is at `open`, one per line as Bicep writes them. */
export function objectEntries(bicep: BicepSource, open: number): Entry[] {
  const close = closingBracket(bicep.code, open);
  const entries: Entry[] = [];
  let start = open + 1;
  let depth = 0;
  for (let i = open + 1; i <= close; i += 1) {
    const char = bicep.code[i];
    if (char === '{' || char === '[' || char === '(') depth += 1;
    else if ((char === '}' || char === ']' || char === ')') && i !== close) depth -= 1;
    if ((char === '\n' && depth === 0) || i === close) {
      const lineCode = bicep.code.slice(start, i);
      const match = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:\s*/.exec(lineCode);
      if (match) {
        const valueStart = start + match[0].length;
        entries.push({
          key: match[2] as string,
          value: bicep.source.slice(valueStart, i).trim(),
          valueCode: bicep.code.slice(valueStart, i).trim(),
        });
      }
      start = i + 1;
    }
  }
  return entries;
}

/** Entries of the object literal assigned to `var <name> = { … }` at the top level of the file. */
export function variableObject(bicep: BicepSource, name: string): Entry[] {
  const match = new RegExp(`^var\\s+${name}\\s*=\\s*\\{`, 'm').exec(bicep.code);
  if (!match) throw new Error(`${bicep.file}: no object variable "${name}"`);
  return objectEntries(bicep, match.index + match[0].length - 1);
}

export function params(bicep: BicepSource): ParamDeclaration[] {
  const declarations: ParamDeclaration[] = [];
  for (const match of bicep.code.matchAll(/^param\s+([A-Za-z_]\w*)\s+([^=\n]+?)\s*(?:=(.*))?$/gm)) {
    const defaultStart = match[3] === undefined ? -1 : (match.index ?? 0) + match[0].length - match[3].length;
    declarations.push({
      name: match[1] as string,
      type: (match[2] as string).trim(),
      defaultValue: defaultStart < 0 ? undefined : bicep.source.slice(defaultStart, (match.index ?? 0) + match[0].length).trim(),
    });
  }
  return declarations;
}

export function variables(bicep: BicepSource): string[] {
  return [...bicep.code.matchAll(/^var\s+([A-Za-z_]\w*)\s*=/gm)].map((match) => match[1] as string);
}

export function outputs(bicep: BicepSource): string[] {
  return [...bicep.code.matchAll(/^output\s+([A-Za-z_]\w*)\s/gm)].map((match) => match[1] as string);
}

export function modules(bicep: BicepSource): ModuleDeclaration[] {
  const declarations: ModuleDeclaration[] = [];
  for (const match of bicep.code.matchAll(/^module\s+([A-Za-z_]\w*)\s+'/gm)) {
    const pathStart = (match.index ?? 0) + match[0].length;
    const pathEnd = bicep.source.indexOf("'", pathStart);
    const bodyOpen = bicep.code.indexOf('{', pathEnd);
    const paramsEntry = objectEntries(bicep, bodyOpen).find((entry) => entry.key === 'params');
    const paramsOpen = paramsEntry ? bicep.code.indexOf('params', bodyOpen) : -1;
    declarations.push({
      symbol: match[1] as string,
      path: bicep.source.slice(pathStart, pathEnd),
      params: paramsOpen < 0 ? [] : objectEntries(bicep, bicep.code.indexOf('{', paramsOpen)),
    });
  }
  return declarations;
}

/** How many times an identifier is used in code, outside comments and string literals. */
export function usages(bicep: BicepSource, identifier: string): number {
  return [...bicep.code.matchAll(new RegExp(`(?<![\\w.@])${identifier}\\b`, 'g'))].length;
}

export const infraDir = path.resolve(__dirname, '../../infra');

/** The decorator lines right above `param <name>`, up to the previous blank line, as written. */
export function decoratorsOf(bicep: BicepSource, name: string): string {
  const declaration = new RegExp(`^param\\s+${name}\\b`, 'm').exec(bicep.code);
  if (!declaration) throw new Error(`${bicep.file}: no parameter "${name}"`);
  const above = bicep.source.slice(0, declaration.index).split('\n').slice(0, -1);
  const firstBlank = above.map((line) => line.trim() === '').lastIndexOf(true);
  return above.slice(firstBlank + 1).join('\n');
}

/** The integer argument of `@minValue(…)` or `@maxValue(…)` on a parameter, if it has one. */
export function intBound(bicep: BicepSource, name: string, decorator: 'minValue' | 'maxValue'): number | undefined {
  const match = new RegExp(`@${decorator}\\((-?\\d+)\\)`).exec(decoratorsOf(bicep, name));
  return match ? Number(match[1]) : undefined;
}

/** Source text of each `resource <symbol> '<type>' = { … }` body whose type is `type`, by symbol. */
export function resourceBodies(bicep: BicepSource, type: string): Map<string, string> {
  const bodies = new Map<string, string>();
  for (const match of bicep.code.matchAll(/^\s*resource\s+([A-Za-z_]\w*)\s+'/gm)) {
    const typeStart = (match.index ?? 0) + match[0].length;
    const typeEnd = bicep.source.indexOf("'", typeStart);
    if (bicep.source.slice(typeStart, typeEnd) !== type) continue;
    const open = bicep.code.indexOf('{', typeEnd);
    bodies.set(match[1] as string, bicep.source.slice(open, closingBracket(bicep.code, open) + 1));
  }
  return bodies;
}

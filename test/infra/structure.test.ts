import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  type BicepSource,
  blankCommentsAndStrings,
  closingBracket,
  decoratorsOf,
  infraDir,
  modules,
  outputs,
  params,
  readBicep,
  usages,
  variables,
} from './bicepText';

/**
 * Wiring checks that hold without the Bicep CLI: every module exists, gets every parameter it
 * requires and nothing it does not declare, and every output read from it is declared; no file
 * declares a parameter or variable it never uses; brackets balance. The real compiler and linter
 * (infra/scripts/bicep.sh) check far more; these catch the common slips on machines without them.
 */
const bicepFiles = [
  path.join(infraDir, 'main.bicep'),
  ...readdirSync(path.join(infraDir, 'modules'))
    .filter((name) => name.endsWith('.bicep'))
    .map((name) => path.join(infraDir, 'modules', name)),
];
const sources = bicepFiles.map(readBicep);
const relative = (bicep: BicepSource) => path.relative(infraDir, bicep.file);

describe.each(sources.map((bicep) => [relative(bicep), bicep] as const))('%s', (_name, bicep) => {
  it('balances its brackets', () => {
    let depth = 0;
    for (const char of bicep.code) {
      if (char === '{' || char === '[' || char === '(') depth += 1;
      if (char === '}' || char === ']' || char === ')') depth -= 1;
      expect(depth).toBeGreaterThanOrEqual(0);
    }
    expect(depth).toBe(0);
  });

  it('uses every parameter and variable it declares', () => {
    const unused = [...params(bicep).map((param) => param.name), ...variables(bicep)].filter((name) => usages(bicep, name) < 2);
    expect(unused).toEqual([]);
  });

  it('gives every parameter a description', () => {
    for (const param of params(bicep)) {
      const decorators = decoratorsOf(bicep, param.name);
      expect({ param: param.name, described: decorators.includes('@description(') }).toEqual({ param: param.name, described: true });
    }
  });

  it('reads only outputs its modules declare', () => {
    const moduleOutputs = new Map(
      modules(bicep).map((module) => [module.symbol, outputs(readBicep(path.resolve(path.dirname(bicep.file), module.path)))]),
    );
    for (const match of bicep.code.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
      const [, symbol, output] = match;
      expect({ symbol, output, declared: moduleOutputs.get(symbol as string)?.includes(output as string) ?? false }).toEqual({
        symbol,
        output,
        declared: true,
      });
    }
  });
});

describe('module calls in main.bicep', () => {
  const main = sources[0] as BicepSource;

  it('declares the modules', () => {
    expect(modules(main).length).toBeGreaterThanOrEqual(8);
  });

  it.each(modules(main).map((module) => [module.symbol, module] as const))('calls module %s correctly', (_symbol, module) => {
    const target = path.resolve(path.dirname(main.file), module.path);
    expect(existsSync(target)).toBe(true);
    const declared = params(readBicep(target));
    const passed = module.params.map((param) => param.key);
    expect(passed.filter((name) => !declared.some((param) => param.name === name))).toEqual([]);
    expect(declared.filter((param) => param.defaultValue === undefined && !passed.includes(param.name)).map((param) => param.name)).toEqual(
      [],
    );
  });
});

describe('bicepText', () => {
  it('ignores braces and identifiers inside strings and comments, keeping interpolations', () => {
    const source = "var a = { // {\n  k: 'x{y}${b}z' /* } */\n}\nvar b = 1\n";
    const bicep: BicepSource = { file: 'inline', source, code: blankCommentsAndStrings(source) };
    const open = bicep.code.indexOf('{');
    expect(bicep.source.slice(open, closingBracket(bicep.code, open) + 1)).toBe("{ // {\n  k: 'x{y}${b}z' /* } */\n}");
    expect(usages(bicep, 'b')).toBe(2);
    expect(usages(bicep, 'y')).toBe(0);
  });
});

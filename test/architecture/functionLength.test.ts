import { functionsOf } from './functionLength';
import { readSources, type Source } from './sources';

/** A function should fit on a screen; tools get a little more room for their reports. */
const LIMITS: readonly { folder: string; maxLines: number }[] = [
  { folder: 'shared', maxLines: 80 },
  { folder: 'local', maxLines: 80 },
  { folder: 'functions', maxLines: 80 },
  { folder: 'tools', maxLines: 120 },
];

/**
 * Functions allowed over the limit, each with its length when it was listed: empty, since every
 * function fits. An entry is a debt to pay back (the last test below says when it is paid); never
 * raise a number.
 */
const KNOWN_OFFENDERS: Readonly<Record<string, number>> = {};

interface Measured {
  readonly key: string;
  readonly where: string;
  readonly lines: number;
  readonly maxLines: number;
}

function measure(sources: readonly Source[], maxLines: number): Measured[] {
  return sources.flatMap((source) =>
    functionsOf(source).map((span) => ({
      key: `${source.path}:${span.name}`,
      where: `${source.path}:${span.line}`,
      lines: span.lines,
      maxLines,
    })),
  );
}

const measured = LIMITS.flatMap(({ folder, maxLines }) => measure(readSources([folder]), maxLines));

describe('function length', () => {
  it('finds the functions of every folder it guards', () => {
    for (const { folder } of LIMITS) expect(measured.some((m) => m.key.startsWith(`${folder}/`))).toBe(true);
  });

  it('keeps every function within its folder limit, known offenders within their recorded length', () => {
    const tooLong = measured
      .filter((m) => m.lines > (KNOWN_OFFENDERS[m.key] ?? m.maxLines))
      .map((m) => `${m.where} ${m.key.split(':')[1]} has ${m.lines} lines (limit ${KNOWN_OFFENDERS[m.key] ?? m.maxLines})`);
    expect(tooLong).toEqual([]);
  });

  it('lists no offender that has since been fixed or removed', () => {
    const stale = Object.keys(KNOWN_OFFENDERS).filter((key) => !measured.some((m) => m.key === key && m.lines > m.maxLines));
    expect(stale).toEqual([]);
  });

  it('measures from the signature to the closing brace, nested functions included in their parent', () => {
    const text = [
      '/** doc */',
      'export function outer() {',
      '  const inner = () => {',
      '    return 1;',
      '  };',
      '  return inner();',
      '}',
      '',
    ].join('\n');
    expect(functionsOf({ path: 'x.ts', text })).toEqual([
      { name: 'outer', line: 2, lines: 6 },
      { name: 'inner', line: 3, lines: 3 },
    ]);
  });

  it('names methods, constructors and function expressions bound to properties', () => {
    const text = 'class A {\n  constructor() {}\n  run() {}\n}\nconst o = { go: function () {} };\n';
    expect(functionsOf({ path: 'x.ts', text }).map((span) => span.name)).toEqual(['constructor', 'run', 'go']);
  });
});

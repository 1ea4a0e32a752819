/**
 * Shared pieces of the command-line tools: option parsing with readable errors, `--help` text built
 * from the same option list, and progress that suits both a terminal and a CI log.
 */
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';

export type OptionKind = 'number' | 'integer' | 'fraction' | 'string' | 'flag';

export interface OptionSpec {
  /** The long name, without dashes: `rate` for `--rate`. */
  readonly name: string;
  readonly kind: OptionKind;
  readonly description: string;
  /** Shown in help, e.g. `<events/s>`. */
  readonly placeholder?: string;
  readonly default?: string | number | boolean;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionValue = string | number | boolean | undefined;

export class ParsedOptions {
  constructor(
    readonly values: ReadonlyMap<string, OptionValue>,
    readonly help: boolean,
  ) {}

  number(name: string): number {
    const value = this.values.get(name);
    if (typeof value !== 'number') throw new Error(`option --${name} is not a number option or has no default`);
    return value;
  }

  optionalNumber(name: string): number | undefined {
    const value = this.values.get(name);
    return typeof value === 'number' ? value : undefined;
  }

  string(name: string): string {
    const value = this.values.get(name);
    if (typeof value !== 'string') throw new Error(`option --${name} is not a string option or has no default`);
    return value;
  }

  optionalString(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
}

const HELP: OptionSpec = { name: 'help', kind: 'flag', description: 'Show this help and exit.' };

/** Parses `--name value`, `--name=value` and flags; unknown options and malformed values throw a UsageError. */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const all = [...specs, HELP];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        all.map((spec) => [
          spec.name,
          { type: spec.kind === 'flag' ? 'boolean' : 'string', ...(spec.name === 'help' ? { short: 'h' } : {}) },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  const help = raw['help'] === true;
  const values = new Map<string, OptionValue>();
  for (const spec of specs) {
    const given = raw[spec.name];
    values.set(spec.name, given === undefined ? spec.default : convert(spec, given));
  }
  return new ParsedOptions(values, help);
}

function convert(spec: OptionSpec, given: string | boolean): OptionValue {
  if (spec.kind === 'flag') return given === true;
  const text = String(given);
  if (spec.kind === 'string') {
    if (text === '') throw new UsageError(`--${spec.name} needs a value`);
    return text;
  }
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const min = spec.min ?? (spec.kind === 'fraction' ? 0 : undefined);
  const max = spec.max ?? (spec.kind === 'fraction' ? 1 : undefined);
  const expected =
    spec.kind === 'fraction'
      ? 'a fraction from 0 to 1 (e.g. 0.05)'
      : `${spec.kind === 'integer' ? 'a whole number' : 'a number'}${describeRange(min, max)}`;
  const bad =
    !Number.isFinite(value) ||
    (spec.kind === 'integer' && !Number.isInteger(value)) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max);
  if (bad) throw new UsageError(`--${spec.name} must be ${expected}, got "${text}"`);
  return value;
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return min === 0 ? ' >= 0' : ` >= ${min}`;
  if (max !== undefined) return ` <= ${max}`;
  return '';
}

export interface HelpText {
  readonly usage: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  readonly examples?: readonly string[];
  readonly notes?: readonly string[];
}

export function formatHelp(help: HelpText): string {
  const all = [...help.options, HELP];
  const labels = all.map((spec) => `--${spec.name}${spec.placeholder ? ` ${spec.placeholder}` : spec.kind === 'flag' ? '' : ' <value>'}`);
  const width = Math.max(...labels.map((label) => label.length)) + 2;
  const lines = [`Usage: ${help.usage}`, '', help.summary, '', 'Options:'];
  all.forEach((spec, index) => {
    const defaultText = spec.default === undefined || spec.kind === 'flag' ? '' : ` (default: ${String(spec.default)})`;
    lines.push(`  ${(labels[index] as string).padEnd(width)}${spec.description}${defaultText}`);
  });
  if (help.examples?.length) lines.push('', 'Examples:', ...help.examples.map((example) => `  ${example}`));
  if (help.notes?.length) lines.push('', ...help.notes);
  return `${lines.join('\n')}\n`;
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export interface ProgressFields {
  readonly [name: string]: string | number;
}

export interface Progress {
  update(done: number, fields: ProgressFields): void;
  /** Ends the bar (or prints the last line) and stops the timer. */
  stop(): void;
}

export interface ProgressOptions {
  readonly total: number;
  readonly unit: string;
  /** Extra fields shown after the count, in this order. */
  readonly fields: readonly string[];
  readonly stream?: NodeJS.WriteStream;
  /** A line every this many ms when the stream is not a terminal. */
  readonly lineIntervalMs?: number;
}

/** A live bar on a terminal; in a log (CI, pipes), a plain line every few seconds instead of control codes. */
export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const initial = Object.fromEntries(options.fields.map((field) => [field, '-']));
  if (stream.isTTY) {
    const tokens = options.fields.map((field) => `${field} {${field}}`).join(' | ');
    const bar = new SingleBar({
      stream,
      format: `{bar} {percentage}% | {value}/{total} ${options.unit} | ${tokens} | eta {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? formatCount(Number(value)) : String(value)),
    });
    bar.start(options.total, 0, initial);
    return {
      update: (done, fields) => bar.update(done, fields),
      stop: () => bar.stop(),
    };
  }
  let latest = { done: 0, fields: initial as ProgressFields };
  const print = () => {
    const extras = options.fields.map((field) => `${field} ${String(latest.fields[field] ?? '-')}`).join(', ');
    stream.write(`${formatCount(latest.done)}/${formatCount(options.total)} ${options.unit}, ${extras}\n`);
  };
  const timer = setInterval(print, options.lineIntervalMs ?? 5000);
  timer.unref();
  return {
    update: (done, fields) => {
      latest = { done, fields };
    },
    stop: () => {
      clearInterval(timer);
      print();
    },
  };
}

/**
 * Parses the options of a small tool, or prints its help and answers undefined for `--help`. The
 * help's options are `specs`.
 */
export function optionsOrHelp(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  help: Omit<HelpText, 'options'>,
): ParsedOptions | undefined {
  const options = parseOptions(argv, specs);
  if (!options.help) return options;
  console.log(formatHelp({ ...help, options: specs }));
  return undefined;
}

/** Runs a tool's main: a failure prints its message and exits 2 for a usage error, 1 otherwise. */
export function runTool(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  });
}

import { parseInt64 } from '../domain/ids';
import { badRequest } from './errors';
import { type EntityTypeDef, findProperty, type ODataRow } from './model';
import { compareInFamily, familyOf, integerText, type ValueFamily } from './values';

/**
 * $filter: a tokenizer and a recursive-descent parser for the subset of the OData v4 expression
 * grammar the feed supports, type-checked against the entity type while parsing, and an evaluator.
 *
 *   or  := and ('or' and)*
 *   and := unary ('and' unary)*
 *   unary := 'not' unary | comparison
 *   comparison := primary (('eq'|'ne'|'gt'|'ge'|'lt'|'le') primary | 'in' '(' primary (',' primary)* ')')?
 *   primary := '(' or ')' | literal | property | function '(' args ')'
 *
 * Literals: null, true, false, integers (64-bit), 'strings' ('' escapes a quote), and
 * DateTimeOffset values like 2026-11-22T10:00:00Z. Functions: contains, startswith, endswith,
 * tolower, toupper, trim, length. Anything else is refused with a 400 that says what.
 */
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
type FunctionName = 'contains' | 'startswith' | 'endswith' | 'tolower' | 'toupper' | 'trim' | 'length';

export type FilterExpr =
  | { readonly kind: 'literal'; readonly family: ValueFamily; readonly value: string | number | boolean | null }
  | { readonly kind: 'property'; readonly family: ValueFamily; readonly name: string }
  | {
      readonly kind: 'compare';
      readonly family: 'bool';
      readonly op: ComparisonOperator;
      readonly left: FilterExpr;
      readonly right: FilterExpr;
    }
  | { readonly kind: 'in'; readonly family: 'bool'; readonly operand: FilterExpr; readonly list: readonly FilterExpr[] }
  | { readonly kind: 'and' | 'or'; readonly family: 'bool'; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: 'not'; readonly family: 'bool'; readonly operand: FilterExpr }
  | { readonly kind: 'call'; readonly family: ValueFamily; readonly name: FunctionName; readonly args: readonly FilterExpr[] };

type Token =
  | { readonly kind: 'open' | 'close' | 'comma'; readonly at: number }
  | { readonly kind: 'word'; readonly text: string; readonly at: number }
  | { readonly kind: 'string'; readonly value: string; readonly at: number }
  | { readonly kind: 'integer'; readonly value: string; readonly at: number }
  | { readonly kind: 'datetime'; readonly value: number; readonly text: string; readonly at: number };

const MAX_FILTER_LENGTH = 8192;
const MAX_DEPTH = 64;
const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?:Z|[+-]\d{2}:\d{2})/i;
const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;

const FUNCTIONS: Readonly<Record<FunctionName, { readonly args: readonly ValueFamily[]; readonly result: ValueFamily }>> = {
  contains: { args: ['string', 'string'], result: 'bool' },
  startswith: { args: ['string', 'string'], result: 'bool' },
  endswith: { args: ['string', 'string'], result: 'bool' },
  tolower: { args: ['string'], result: 'string' },
  toupper: { args: ['string'], result: 'string' },
  trim: { args: ['string'], result: 'string' },
  length: { args: ['string'], result: 'int' },
};

export function parseFilter(text: string, type: EntityTypeDef): FilterExpr {
  if (text.length > MAX_FILTER_LENGTH) throw badRequest(`$filter: longer than ${MAX_FILTER_LENGTH} characters`);
  const parser = new Parser(tokenize(text), type);
  const expr = parser.parseExpression();
  parser.expectEnd();
  if (expr.family !== 'bool') throw badRequest('$filter: the expression must be a condition (true or false), not a value');
  return expr;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const rest = text.slice(at);
    const char = text.charAt(at);
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    if (char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: char === '(' ? 'open' : char === ')' ? 'close' : 'comma', at });
      at += 1;
      continue;
    }
    if (char === "'") {
      const { value, end } = readString(text, at);
      tokens.push({ kind: 'string', value, at });
      at = end;
      continue;
    }
    if (/^\d{4}-\d{2}-\d{2}(?!T)/.test(rest)) {
      throw badRequest(`$filter: dates without a time (position ${at + 1}) are not supported; write e.g. 2026-11-22T00:00:00Z`);
    }
    const datetime = DATETIME.exec(rest);
    if (datetime) {
      const instant = Date.parse(datetime[0]);
      if (!Number.isFinite(instant)) throw badRequest(`$filter: ${datetime[0]} is not a valid date and time`);
      tokens.push({ kind: 'datetime', value: instant, text: datetime[0], at });
      at += datetime[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      const literal = number[0];
      if (!/^-?\d+$/.test(literal)) {
        throw badRequest(`$filter: the number ${literal} is not supported; use whole numbers without a type suffix`);
      }
      const parsed = parseInt64(literal);
      if (!parsed.ok) throw badRequest(`$filter: the number ${literal} ${parsed.problem}`);
      tokens.push({ kind: 'integer', value: parsed.value, at });
      at += literal.length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ kind: 'word', text: word[0], at });
      at += word[0].length;
      continue;
    }
    throw badRequest(`$filter: unexpected character '${char}' at position ${at + 1}`);
  }
  return tokens;
}

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf("'", at);
    if (quote < 0) throw badRequest(`$filter: the string starting at position ${start + 1} is not closed`);
    value += text.slice(at, quote);
    if (text.charAt(quote + 1) === "'") {
      value += "'";
      at = quote + 2;
      continue;
    }
    return { value, end: quote + 1 };
  }
}

class Parser {
  private position = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly type: EntityTypeDef,
  ) {}

  parseExpression(): FilterExpr {
    this.depth += 1;
    if (this.depth > MAX_DEPTH) throw badRequest(`$filter: nested deeper than ${MAX_DEPTH} levels`);
    let left = this.parseAnd();
    while (this.acceptWord('or'))
      left = { kind: 'or', family: 'bool', left: requireBool(left, 'or'), right: requireBool(this.parseAnd(), 'or') };
    this.depth -= 1;
    return left;
  }

  expectEnd(): void {
    const token = this.tokens[this.position];
    if (token) throw badRequest(`$filter: unexpected ${describeToken(token)} at position ${token.at + 1}`);
  }

  private parseAnd(): FilterExpr {
    let left = this.parseUnary();
    while (this.acceptWord('and'))
      left = { kind: 'and', family: 'bool', left: requireBool(left, 'and'), right: requireBool(this.parseUnary(), 'and') };
    return left;
  }

  private parseUnary(): FilterExpr {
    if (this.acceptWord('not')) {
      this.depth += 1;
      if (this.depth > MAX_DEPTH) throw badRequest(`$filter: nested deeper than ${MAX_DEPTH} levels`);
      const operand = requireBool(this.parseUnary(), 'not');
      this.depth -= 1;
      return { kind: 'not', family: 'bool', operand };
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpr {
    const left = this.parsePrimary();
    const next = this.tokens[this.position];
    if (next?.kind !== 'word') return left;
    if (COMPARISONS.has(next.text)) {
      this.position += 1;
      const op = next.text as ComparisonOperator;
      const right = this.parsePrimary();
      checkComparable(op, left, right);
      return { kind: 'compare', family: 'bool', op, left, right };
    }
    if (next.text === 'in') {
      this.position += 1;
      this.expect('open', "'(' after in");
      const list = [this.parsePrimary()];
      while (this.accept('comma')) list.push(this.parsePrimary());
      this.expect('close', "')' to close the in list");
      for (const item of list) checkComparable('eq', left, item);
      return { kind: 'in', family: 'bool', operand: left, list };
    }
    return left;
  }

  private parsePrimary(): FilterExpr {
    const token = this.tokens[this.position];
    if (!token) throw badRequest('$filter: the expression ends too early');
    this.position += 1;
    switch (token.kind) {
      case 'open': {
        const inner = this.parseExpression();
        this.expect('close', "')'");
        return inner;
      }
      case 'string':
        return { kind: 'literal', family: 'string', value: token.value };
      case 'integer':
        return { kind: 'literal', family: 'int', value: token.value };
      case 'datetime':
        return { kind: 'literal', family: 'datetime', value: token.value };
      case 'word':
        return this.parseWord(token.text, token.at);
      case 'close':
      case 'comma':
        throw badRequest(`$filter: unexpected ${describeToken(token)} at position ${token.at + 1}`);
    }
  }

  private parseWord(text: string, at: number): FilterExpr {
    if (text === 'null') return { kind: 'literal', family: 'null', value: null };
    if (text === 'true' || text === 'false') return { kind: 'literal', family: 'bool', value: text === 'true' };
    if (this.tokens[this.position]?.kind === 'open') return this.parseCall(text, at);
    const property = findProperty(this.type, text);
    if (!property) {
      const known = this.type.properties.map((candidate) => candidate.name).join(', ');
      throw badRequest(`$filter: ${text} (position ${at + 1}) is not a property of ${this.type.name}; use one of ${known}`);
    }
    return { kind: 'property', family: familyOf(property.type), name: property.name };
  }

  private parseCall(name: string, at: number): FilterExpr {
    if (!Object.hasOwn(FUNCTIONS, name)) {
      throw badRequest(`$filter: the function ${name} (position ${at + 1}) is not supported; use ${Object.keys(FUNCTIONS).join(', ')}`);
    }
    const signature = FUNCTIONS[name as FunctionName];
    this.expect('open', `'(' after ${name}`);
    const args: FilterExpr[] = [];
    if (!this.accept('close')) {
      do args.push(this.parseExpression());
      while (this.accept('comma'));
      this.expect('close', `')' to close ${name}(`);
    }
    if (args.length !== signature.args.length)
      throw badRequest(`$filter: ${name} takes ${signature.args.length} argument(s), got ${args.length}`);
    args.forEach((arg, index) => {
      const expected = signature.args[index];
      if (arg.family !== expected && arg.family !== 'null')
        throw badRequest(`$filter: argument ${index + 1} of ${name} must be a ${expected}, got a ${arg.family}`);
    });
    return { kind: 'call', family: signature.result, name: name as FunctionName, args };
  }

  private acceptWord(word: string): boolean {
    const token = this.tokens[this.position];
    if (token?.kind === 'word' && token.text === word) {
      this.position += 1;
      return true;
    }
    return false;
  }

  private accept(kind: 'open' | 'close' | 'comma'): boolean {
    if (this.tokens[this.position]?.kind === kind) {
      this.position += 1;
      return true;
    }
    return false;
  }

  private expect(kind: 'open' | 'close' | 'comma', what: string): void {
    if (this.accept(kind)) return;
    const token = this.tokens[this.position];
    throw badRequest(
      `$filter: expected ${what}${token ? ` at position ${token.at + 1}, found ${describeToken(token)}` : ', found the end'}`,
    );
  }
}

function requireBool(expr: FilterExpr, operator: string): FilterExpr {
  if (expr.family !== 'bool') throw badRequest(`$filter: both sides of ${operator} must be conditions, not ${expr.family} values`);
  return expr;
}

function checkComparable(op: ComparisonOperator, left: FilterExpr, right: FilterExpr): void {
  if (left.family === 'null' || right.family === 'null') return;
  if (left.family !== right.family) throw badRequest(`$filter: cannot compare a ${left.family} with a ${right.family} using ${op}`);
  if (left.family === 'bool' && op !== 'eq' && op !== 'ne') throw badRequest(`$filter: conditions can only be compared with eq or ne`);
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'open':
      return "'('";
    case 'close':
      return "')'";
    case 'comma':
      return "','";
    case 'word':
      return `'${token.text}'`;
    case 'string':
      return `the string '${token.value}'`;
    case 'integer':
      return `the number ${token.value}`;
    case 'datetime':
      return `the date ${token.text}`;
  }
}

type Evaluated = string | number | boolean | null;

/** True when the row satisfies the filter; a comparison with null other than eq/ne is false. */
export function matches(expr: FilterExpr, row: ODataRow): boolean {
  return evaluate(expr, row) === true;
}

function evaluate(expr: FilterExpr, row: ODataRow): Evaluated {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'property': {
      const value = row[expr.name] ?? null;
      return value === null ? null : expr.family === 'int' ? integerText(value) : value;
    }
    // Three-valued logic, as OData defines it: null is neither true nor false.
    case 'and': {
      const left = evaluate(expr.left, row);
      if (left === false) return false;
      const right = evaluate(expr.right, row);
      return right === false ? false : left === null || right === null ? null : true;
    }
    case 'or': {
      const left = evaluate(expr.left, row);
      if (left === true) return true;
      const right = evaluate(expr.right, row);
      return right === true ? true : left === null || right === null ? null : false;
    }
    case 'not': {
      const operand = evaluate(expr.operand, row);
      return operand === null ? null : !operand;
    }
    case 'compare':
      return compare(expr.op, familyOfPair(expr.left, expr.right), evaluate(expr.left, row), evaluate(expr.right, row));
    case 'in': {
      const value = evaluate(expr.operand, row);
      return expr.list.some((item) => compare('eq', familyOfPair(expr.operand, item), value, evaluate(item, row)));
    }
    case 'call':
      return call(
        expr.name,
        expr.args.map((arg) => evaluate(arg, row)),
      );
  }
}

function familyOfPair(left: FilterExpr, right: FilterExpr): ValueFamily {
  return left.family === 'null' ? right.family : left.family;
}

function compare(op: ComparisonOperator, family: ValueFamily, left: Evaluated, right: Evaluated): boolean {
  if (left === null || right === null) {
    if (op === 'eq') return left === right;
    if (op === 'ne') return left !== right;
    return false;
  }
  const order = compareInFamily(family, left, right);
  switch (op) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

function call(name: FunctionName, args: readonly Evaluated[]): Evaluated {
  if (args.some((arg) => arg === null)) return null;
  const [first, second] = args as string[];
  const text = first as string;
  switch (name) {
    case 'contains':
      return text.includes(second as string);
    case 'startswith':
      return text.startsWith(second as string);
    case 'endswith':
      return text.endsWith(second as string);
    case 'tolower':
      return text.toLowerCase();
    case 'toupper':
      return text.toUpperCase();
    case 'trim':
      return text.trim();
    case 'length':
      return String([...text].length);
  }
}

/**
 * The finite set of values a property must hold for the filter to be true, or undefined when the
 * filter does not pin it down. Lets a data source read only what can match (e.g. one window), while
 * the full filter is still applied to what it returns.
 */
export function constrainedValues(expr: FilterExpr | undefined, property: string): readonly string[] | undefined {
  if (!expr) return undefined;
  switch (expr.kind) {
    case 'and': {
      const left = constrainedValues(expr.left, property);
      const right = constrainedValues(expr.right, property);
      if (!left) return right;
      if (!right) return left;
      const allowed = new Set(right);
      return left.filter((value) => allowed.has(value));
    }
    case 'or': {
      const left = constrainedValues(expr.left, property);
      const right = constrainedValues(expr.right, property);
      return left && right ? [...new Set([...left, ...right])] : undefined;
    }
    case 'compare': {
      if (expr.op !== 'eq') return undefined;
      const value = propertyLiteral(expr.left, expr.right, property) ?? propertyLiteral(expr.right, expr.left, property);
      return value === undefined ? undefined : [value];
    }
    case 'in': {
      if (expr.operand.kind !== 'property' || expr.operand.name !== property) return undefined;
      const values = expr.list.flatMap((item) => (item.kind === 'literal' && typeof item.value === 'string' ? [item.value] : []));
      return values.length === expr.list.length ? [...new Set(values)] : undefined;
    }
    default:
      return undefined;
  }
}

function propertyLiteral(side: FilterExpr, other: FilterExpr, property: string): string | undefined {
  if (side.kind !== 'property' || side.name !== property) return undefined;
  return other.kind === 'literal' && typeof other.value === 'string' ? other.value : undefined;
}

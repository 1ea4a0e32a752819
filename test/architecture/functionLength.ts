import ts from 'typescript';
import { parse, type Source } from './sources';

export interface FunctionSpan {
  /** The declared name, or the name of the variable or property an arrow or function expression is bound to. */
  readonly name: string;
  readonly line: number;
  /** Lines from the signature to the closing brace, leading comments excluded. */
  readonly lines: number;
}

/** Every function with a body: declarations, methods, accessors, constructors, arrows and function expressions. */
export function functionsOf(source: Source): FunctionSpan[] {
  const file = parse(source);
  const spans: FunctionSpan[] = [];
  const lineOf = (position: number) => file.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const line = lineOf(node.getStart(file));
      spans.push({ name: nameOf(node, file) ?? `<anonymous at line ${line}>`, line, lines: lineOf(node.end) - line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return spans;
}

function nameOf(node: ts.SignatureDeclaration, file: ts.SourceFile): string | undefined {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(file);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(file);
  }
  return undefined;
}

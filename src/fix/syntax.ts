/**
 * The syntax the fix command works on: each file of a module parsed once with tree-sitter-c,
 * kept as a tree (for edits) and as FileFacts (for the module's call graph and entry points).
 */
import { newParser, type Parser, type SyntaxNode, type Tree } from "../parse/backend.js";
import { extractFacts } from "../parse/extract.js";
import type { FileFacts } from "../parse/facts.js";

export type { SyntaxNode };

export interface ParsedFile {
  path: string;
  /** The file's bytes as a latin1 string: one character per byte, so edits keep every byte. */
  text: string;
  tree: Tree;
  facts: FileFacts;
  /** Offsets where each line starts. */
  lineStarts: number[];
}

let parser: Parser | undefined;

function getParser(): Parser {
  if (parser === undefined) {
    parser = newParser();
  }
  return parser;
}

export function parseTree(text: string): Tree {
  const tree = getParser().parse(text);
  if (tree === null) throw new Error("tree-sitter gave no tree (no time limit is set)");
  return tree;
}

export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

export function parseFile(path: string, text: string): ParsedFile {
  const tree = parseTree(text);
  return { path, text, tree, facts: extractFacts(path, tree, text), lineStarts: lineStartsOf(text) };
}

/** Number of ERROR and MISSING nodes: an edit must not add any. */
export function syntaxErrors(tree: Tree): number {
  if (!tree.rootNode.hasError) return 0;
  let count = 0;
  const cursor = tree.walk();
  let more = true;
  while (more) {
    const node = cursor.currentNode;
    if (node.type === "ERROR" || node.isMissing) count++;
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        more = false;
        break;
      }
    }
  }
  return count;
}

/**
 * The call of `callee` on a 1-based line, preferring the given column. The audit counts columns
 * in UTF-16 units and this file is read byte for byte, so on a line with non-ASCII text the
 * column can differ: the line and the name decide.
 */
export function callAt(
  file: ParsedFile,
  line: number,
  column: number,
  callee: string,
): SyntaxNode | undefined {
  const start = file.lineStarts[line - 1];
  if (start === undefined) return undefined;
  const end = file.lineStarts[line] ?? file.text.length;
  const found: SyntaxNode[] = [];
  for (const node of file.tree.rootNode.descendantsOfType(
    "call_expression",
    { row: line - 1, column: 0 },
    { row: line - 1, column: end - start },
  )) {
    if (
      node.startIndex >= start &&
      node.startIndex < end &&
      node.childForFieldName("function")?.text === callee
    )
      found.push(node);
  }
  return found.find((node) => node.startIndex - start === column - 1) ?? found[0];
}

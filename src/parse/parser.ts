/**
 * tree-sitter-c setup. One parser per thread, made on first use; a time limit per file so no
 * single file stalls an audit.
 */
import Parser from "tree-sitter";
import C from "tree-sitter-c";
import { extractFacts } from "./extract.js";
import type { FileFacts } from "./facts.js";

/** Per-file parse limit. Kernel files parse in milliseconds; this only stops pathological input. */
export const PARSE_TIMEOUT_MICROS = 10_000_000;

let parser: Parser | undefined;

function getParser(): Parser {
  if (parser === undefined) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
    parser.setTimeoutMicros(PARSE_TIMEOUT_MICROS);
  }
  return parser;
}

export class ParseError extends Error {}

/** Parses C source into FileFacts. Throws ParseError when tree-sitter gives up (time limit). */
export function parseFacts(path: string, source: string): FileFacts {
  const current = getParser();
  let tree: Parser.Tree | undefined;
  try {
    tree = current.parse(source);
  } catch (error) {
    current.reset();
    throw new ParseError(`tree-sitter could not parse it (${(error as Error).message})`);
  }
  if (tree === undefined || tree === null) {
    current.reset();
    throw new ParseError(`parsing took longer than ${PARSE_TIMEOUT_MICROS / 1e6} s`);
  }
  return extractFacts(path, tree, source);
}

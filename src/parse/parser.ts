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

/** Overrides the limit, in milliseconds (tests; a slow runner). Worker threads inherit it. */
export const PARSE_TIMEOUT_VARIABLE = "MSI_OWNERSHIP_PARSE_TIMEOUT_MS";

/** The limit in microseconds: PARSE_TIMEOUT_MICROS, or the variable's value when set. */
export function parseTimeoutMicros(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[PARSE_TIMEOUT_VARIABLE];
  if (value === undefined || value === "") return PARSE_TIMEOUT_MICROS;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new Error(`${PARSE_TIMEOUT_VARIABLE}=${value}: not a positive number of milliseconds`);
  }
  return Math.max(1, Math.round(ms * 1000));
}

let parser: Parser | undefined;
let timeoutMicros = PARSE_TIMEOUT_MICROS;

function getParser(): Parser {
  if (parser === undefined) {
    // Read once, when the thread's parser is made: the environment is the edge here.
    timeoutMicros = parseTimeoutMicros();
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
    parser.setTimeoutMicros(timeoutMicros);
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
    throw new ParseError(`parsing took longer than the ${timeoutMicros / 1000} ms limit`);
  }
  return extractFacts(path, tree, source);
}

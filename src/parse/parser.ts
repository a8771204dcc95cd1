/**
 * tree-sitter-c setup. One parser per thread, made on first use (after readyParser() of
 * backend.ts has loaded one); a time limit per file so no single file stalls an audit.
 */
import { newParser, releaseTree, type Parser, type Tree } from "./backend.js";
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

/**
 * Files larger than this are not parsed. The kernel's largest .c file is under 2 MB (6.12);
 * parsing takes about 0.7 s and 130 MB of memory per MB of C, so a 50 MB file would stall a
 * worker and could exhaust a runner's memory.
 */
export const MAX_PARSE_BYTES = 4 * 1024 * 1024;

/** Why a file of `bytes` bytes is not parsed, or undefined when it is within MAX_PARSE_BYTES. */
export function overParseLimit(bytes: number): string | undefined {
  if (bytes <= MAX_PARSE_BYTES) return undefined;
  const mb = (count: number): string => `${(count / (1024 * 1024)).toFixed(1)} MB`;
  return `${mb(bytes)}, larger than the ${mb(MAX_PARSE_BYTES)} parse limit`;
}

let parser: Parser | undefined;
let timeoutMicros = PARSE_TIMEOUT_MICROS;

function getParser(): Parser {
  if (parser === undefined) {
    // Read once, when the thread's parser is made: the environment is the edge here.
    timeoutMicros = parseTimeoutMicros();
    parser = newParser();
  }
  return parser;
}

export class ParseError extends Error {}

/** Parses C source into FileFacts. Throws ParseError when tree-sitter gives up (time limit). */
export function parseFacts(path: string, source: string): FileFacts {
  const current = getParser();
  let tree: Tree | null;
  try {
    tree = current.parse(source, timeoutMicros);
  } catch (error) {
    current.reset();
    throw new ParseError(`tree-sitter could not parse it (${(error as Error).message})`);
  }
  if (tree === null) {
    current.reset();
    throw new ParseError(`parsing took longer than the ${timeoutMicros / 1000} ms limit`);
  }
  try {
    return extractFacts(path, tree, source);
  } finally {
    releaseTree(tree);
  }
}

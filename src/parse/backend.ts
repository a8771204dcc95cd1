/**
 * Which tree-sitter runs the C grammar: the native addon (tree-sitter, tree-sitter-c), or where
 * no addon fits this machine (another architecture, an older C++ library), the WebAssembly build
 * (web-tree-sitter, tree-sitter-c.wasm), which parses more slowly (`npm run bench` has a row for
 * it). Both are loaded on first need, never at import, so `--version` and `--help` run anywhere.
 *
 * MSI_OWNERSHIP_PARSER=native|wasm forces one; unset, the native addon is tried first and the
 * fallback is said once on stderr. The main thread chooses and hands the choice to its parse
 * workers (src/scan/pool.ts), so they neither try the addon again nor say it again.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { isMainThread } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import type NativeParser from "tree-sitter";

export type ParserKind = "native" | "wasm";

export const PARSER_VARIABLE = "MSI_OWNERSHIP_PARSER";

/**
 * The node and tree types are the native binding's. The web binding's nodes and trees have the
 * same members under the same names and give the same offsets (UTF-16 units) for the ones the
 * extraction reads; test/wasm-parser.test.ts proves the reports identical.
 */
export type Tree = NativeParser.Tree;
export type SyntaxNode = NativeParser.SyntaxNode;

/** Where the two bindings differ (the time limit, how text is fed), behind one shape. */
export interface Parser {
  /** The tree of `text`, or null when parsing took longer than `timeoutMicros` (0: no limit). */
  parse(text: string, timeoutMicros?: number): Tree | null;
  /** Forgets a parse that was stopped half way. */
  reset(): void;
}

/** No parser can run here, or the choice of one is malformed: the message says which and why. */
export class ParserUnavailable extends Error {}

/** The parser a forced MSI_OWNERSHIP_PARSER names, or undefined for the automatic choice. */
export function forcedParser(env: NodeJS.ProcessEnv = process.env): ParserKind | undefined {
  const value = env[PARSER_VARIABLE];
  if (value === undefined || value === "") return undefined;
  if (value === "native" || value === "wasm") return value;
  throw new ParserUnavailable(`${PARSER_VARIABLE}=${value}: expected native or wasm`);
}

type Factory = () => Parser;

const loaded = new Map<ParserKind, Promise<Factory>>();
let chosen: Promise<ParserKind> | undefined;
let factory: Factory | undefined;

/**
 * The parser this process uses, decided once: the forced one, else native when its addon loads,
 * else wasm (said once on stderr, from the main thread).
 */
export function chooseParser(): Promise<ParserKind> {
  chosen ??= (async (): Promise<ParserKind> => {
    const forced = forcedParser();
    if (forced === "wasm") {
      wasmFiles();
      return "wasm";
    }
    try {
      await load("native");
      return "native";
    } catch (error) {
      const why = `no native tree-sitter addon fits this machine (${firstLine(error)})`;
      if (forced === "native") throw new ParserUnavailable(`${PARSER_VARIABLE}=native: ${why}`);
      try {
        wasmFiles();
      } catch (missing) {
        throw new ParserUnavailable(`${why}, and ${firstLine(missing)}`);
      }
      if (isMainThread) {
        process.stderr.write(
          `msi-ownership: note: ${why}; parsing with the WebAssembly build instead: the same ` +
            `report, more slowly (${PARSER_VARIABLE}=wasm skips this check)\n`,
        );
      }
      return "wasm";
    }
  })();
  return chosen;
}

/**
 * Loads the parser of `kind` (default: chooseParser()) and makes it the one newParser() makes.
 * Resolves with the kind in use.
 */
export async function readyParser(kind?: ParserKind): Promise<ParserKind> {
  const use = kind ?? (await chooseParser());
  factory = await load(use);
  return use;
}

/** A new parser of the kind readyParser() loaded. */
export function newParser(): Parser {
  if (factory === undefined) {
    throw new Error("the C parser is not loaded yet (readyParser() was not awaited)");
  }
  return factory();
}

/** Trees the web binding made (descendantsOfTypes() works around one of its bugs). */
const webTrees = new WeakSet<object>();

/**
 * `node.descendantsOfType(types)`: the nodes of those types below `node`, in document order
 * (an ancestor before its descendants). The web binding returns wrong nodes when the types
 * include ERROR (0.25.10), so there ERROR nodes are asked for on their own and merged in.
 */
export function descendantsOfTypes(node: SyntaxNode, types: readonly string[]): SyntaxNode[] {
  if (!webTrees.has(node.tree) || !types.includes("ERROR")) return node.descendantsOfType([...types]);
  const kept = node.descendantsOfType(types.filter((type) => type !== "ERROR"));
  if (!node.hasError) return kept;
  return [...kept, ...node.descendantsOfType("ERROR")].sort(documentOrder);
}

/** An ERROR node can hold another of the same span: depth puts the outer one first. */
function documentOrder(a: SyntaxNode, b: SyntaxNode): number {
  return a.startIndex - b.startIndex || b.endIndex - a.endIndex || depth(a) - depth(b);
}

function depth(node: SyntaxNode): number {
  let count = 0;
  for (let current = node.parent; current !== null; current = current.parent) count++;
  return count;
}

/** Frees a tree: the web binding's trees live in WebAssembly memory, out of the GC's reach. */
export function releaseTree(tree: Tree): void {
  (tree as unknown as { delete?: () => void }).delete?.();
}

function load(kind: ParserKind): Promise<Factory> {
  let promise = loaded.get(kind);
  if (promise === undefined) {
    promise = kind === "native" ? loadNative() : loadWasm();
    loaded.set(kind, promise);
  }
  return promise;
}

async function loadNative(): Promise<Factory> {
  // In a bundle these are the embedded addons (scripts/build.mjs); they throw when none fits.
  const { default: Native } = await import("tree-sitter");
  const { default: C } = await import("tree-sitter-c");
  return () => {
    const parser = new Native();
    parser.setLanguage(C as unknown as NativeParser.Language);
    return {
      parse: (text, timeoutMicros = 0) => {
        parser.setTimeoutMicros(timeoutMicros);
        return parser.parse(text);
      },
      reset: () => parser.reset(),
    };
  };
}

const WASM_CHUNK = 4096;

async function loadWasm(): Promise<Factory> {
  const { Parser: Web, Language } = await import("web-tree-sitter");
  const { runtime, grammar } = wasmFiles();
  await Web.init({ locateFile: () => runtime });
  let language;
  try {
    language = await Language.load(grammar);
  } catch (error) {
    throw new Error(`cannot load ${grammar}: ${firstLine(error)}`);
  }
  return () => {
    const parser = new Web();
    parser.setLanguage(language);
    return {
      parse: (text, timeoutMicros = 0) => {
        // setTimeoutMicros() of web-tree-sitter 0.25 passes a number where the wasm wants a
        // BigInt and throws; a progress callback that says stop does the same job.
        const deadline = performance.now() + timeoutMicros / 1000;
        const tree = parser.parse(
          // The binding copies at most 10 KiB (5,120 UTF-16 units) per read into wasm memory.
          (index) => (index < text.length ? text.slice(index, index + WASM_CHUNK) : undefined),
          null,
          timeoutMicros > 0 ? { progressCallback: () => performance.now() > deadline } : undefined,
        );
        if (tree !== null) webTrees.add(tree);
        return tree as unknown as Tree | null;
      },
      reset: () => parser.reset(),
    };
  };
}

/** The fallback's files; ParserUnavailable when one is missing. */
function wasmFiles(): { runtime: string; grammar: string } {
  return {
    runtime: wasmFile("tree-sitter.wasm", "web-tree-sitter/tree-sitter.wasm"),
    grammar: wasmFile("tree-sitter-c.wasm", "tree-sitter-c/tree-sitter-c.wasm"),
  };
}

/** A wasm file: beside the bundle (scripts/build.mjs copies them into dist/), else the package's. */
function wasmFile(name: string, specifier: string): string {
  const file =
    typeof MSI_OWNERSHIP_BUNDLE !== "undefined"
      ? join(dirname(__filename), name)
      : fileURLToPath(import.meta.resolve(specifier));
  if (!existsSync(file)) {
    throw new ParserUnavailable(`the WebAssembly parser needs ${file}, which is missing`);
  }
  return file;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** Set to true by scripts/build.mjs (esbuild `define`); undeclared under tsx. */
declare const MSI_OWNERSHIP_BUNDLE: true | undefined;

/**
 * The worker side of the pool (src/scan/pool.ts): files in, their facts (or an error) out; and
 * for the scan, files on disk read and classified by their text. Runs in the main thread when
 * `jobs` is 1, otherwise in worker threads: under tsx from parse-worker-entry.ts, in a bundle
 * from the bundle itself (scripts/build.mjs starts every bundle with the isParseWorker() check
 * of worker-mark.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FileFacts } from "../parse/facts.js";
import { parseFacts } from "../parse/parser.js";
import { contentHash, FactsCache } from "./cache.js";
import { classifyText, type TextClass } from "./classify.js";
import { remapOffsets, type ParseInput } from "./lexical.js";
import { ScratchBuffer, type FileStat } from "./source.js";

/** A file tree-sitter could not parse: reported, never a crash. */
export interface ParseFailure {
  path: string;
  error: string;
}

export type ParseResult = FileFacts | ParseFailure;

export function isParseFailure(result: ParseResult): result is ParseFailure {
  return "error" in result;
}

/**
 * Main → worker: a batch of files whose bytes sit back to back in one transferred buffer;
 * file i is `bytes[ends[i-1] .. ends[i]]`.
 */
export interface BatchMessage {
  type: "batch";
  id: number;
  paths: string[];
  ends: number[];
  bytes: ArrayBuffer;
  /** For each file, where its parse plan took lines out (ParseInput.shifts), or nothing. */
  shifts: number[][];
}

/** What a batch gives: the facts (or failures) of the files parsed, from the cache or not. */
export interface BatchOutcome {
  results: ParseResult[];
  /** The facts cache key of each result's input. */
  keys: string[];
  cacheHits: number;
  warnings: string[];
}

/** Main → worker: files on disk (absolute paths the main thread let through) to read and classify. */
export interface ScanMessage {
  type: "scan";
  id: number;
  files: string[];
}

/**
 * What a scan gives: each file's text class and metadata, or the code of the error that kept it
 * from being read; and the bytes of the files that name the catalog (their module is dealt with next), back
 * to back in one transferred buffer, in order.
 */
export interface ScanOutcome {
  classes: ((TextClass & { stat: FileStat }) | { error: string })[];
  bytes: ArrayBuffer;
  ends: number[];
}

/** Worker → main. `ready` once the parser has loaded, then one `done` per message. */
export type WorkerMessage =
  { type: "ready" } | { type: "done"; id: number; outcome: BatchOutcome | ScanOutcome };

/** What a parse worker is started with. */
export interface ParseWorkerData {
  mark: string;
  /** The facts cache directory, or false for none. */
  cache: string | false;
}

/**
 * Files larger than this are not parsed. The kernel's largest .c file is under 2 MB (6.12);
 * parsing takes about 0.7 s and 130 MB of memory per MB of C, so a 50 MB file would stall a
 * worker and could exhaust a runner's memory.
 */
export const MAX_PARSE_BYTES = 4 * 1024 * 1024;

/**
 * Decodes as UTF-8 (invalid bytes become U+FFFD) and parses; any exception becomes a failure.
 * `parse` is parseFacts except in tests.
 */
/** The failure of a file of `bytes` bytes over MAX_PARSE_BYTES; undefined when it is not. */
export function tooLarge(path: string, bytes: number): ParseFailure | undefined {
  if (bytes <= MAX_PARSE_BYTES) return undefined;
  const mb = (count: number): string => `${(count / (1024 * 1024)).toFixed(1)} MB`;
  return { path, error: `${mb(bytes)}, larger than the ${mb(MAX_PARSE_BYTES)} parse limit` };
}

export function parseOne(
  path: string,
  source: Uint8Array,
  parse: (path: string, text: string) => FileFacts = parseFacts,
): ParseResult {
  const large = tooLarge(path, source.byteLength);
  if (large !== undefined) return large;
  try {
    const text = Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString("utf8");
    return parse(path, text);
  } catch (error) {
    return { path, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A batch's outcome. The cache is keyed by what is parsed: a file with bodies blanked by the plan
 * is a different input from the file itself.
 */
export function parseBatch(batch: BatchMessage, cache: FactsCache, warnings: string[] = []): BatchOutcome {
  const inputs: ParseInput[] = [];
  let start = 0;
  batch.paths.forEach((path, index) => {
    const end = batch.ends[index] ?? start;
    inputs.push({
      path,
      source: Buffer.from(batch.bytes, start, end - start),
      shifts: batch.shifts[index] ?? [],
    });
    start = end;
  });
  const hitsBefore = cache.stats.hits;
  // The facts are stored with their offsets moved back: the same text taken out of other lines
  // is another key.
  const keys = inputs.map((input) =>
    input.shifts?.length
      ? contentHash(Buffer.concat([input.source, Buffer.from(`\0${input.shifts.join(",")}`)]))
      : contentHash(input.source),
  );
  const results = inputs.map((input, index): ParseResult => {
    const key = keys[index] as string;
    const cached = cache.get(key, input.path);
    if (cached !== undefined) return cached;
    const result = parseOne(input.path, input.source);
    if (isParseFailure(result)) return result;
    const facts = remapOffsets(result, input.shifts ?? []);
    cache.set(key, facts);
    return facts;
  });
  return { results, keys, cacheHits: cache.stats.hits - hitsBefore, warnings };
}

const scratch = new ScratchBuffer();

export function scanFiles(files: readonly string[]): ScanOutcome {
  const classes: ScanOutcome["classes"] = [];
  const kept: Buffer[] = [];
  const ends: number[] = [];
  let length = 0;
  for (const file of files) {
    let read: { data: Buffer; stat?: FileStat };
    try {
      read = scratch.readWithStat(file);
    } catch (error) {
      classes.push({ error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
      continue;
    }
    const { data, stat } = read as { data: Buffer; stat: FileStat };
    const textClass = classifyText(data);
    classes.push({ ...textClass, stat });
    if (!textClass.catalog) continue;
    kept.push(Buffer.from(data));
    length += data.length;
    ends.push(length);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const data of kept) {
    bytes.set(data, offset);
    offset += data.length;
  }
  return { classes, bytes: bytes.buffer, ends };
}

/** The worker's main loop: answers messages until the pool terminates it. */
export function runParseWorker(): void {
  const port = parentPort;
  if (port === null) {
    throw new Error("runParseWorker() called outside a worker thread");
  }
  let warnings: string[] = [];
  const cache = FactsCache.open((workerData as ParseWorkerData).cache, {
    onWarning: (message) => warnings.push(message),
  });
  port.on("message", (message: BatchMessage | ScanMessage) => {
    if (message.type === "scan") {
      const outcome = scanFiles(message.files);
      port.postMessage({ type: "done", id: message.id, outcome } satisfies WorkerMessage, [outcome.bytes]);
      return;
    }
    warnings = [];
    const outcome = parseBatch(message, cache, warnings);
    port.postMessage({ type: "done", id: message.id, outcome } satisfies WorkerMessage);
  });
  // The parser is made on first use: make it now, so a broken addon fails the worker before any
  // batch (the pool then reports that error) instead of failing every file one by one.
  parseFacts("<warm-up>", "");
  port.postMessage({ type: "ready" } satisfies WorkerMessage);
}

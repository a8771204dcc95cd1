/**
 * The worker side of the pool (src/scan/pool.ts): files in, their facts (or an error) out; and
 * for the scan, files on disk read and classified by their text, and the units they make up
 * prepared (src/scan/prepare.ts). Runs in the main thread when
 * `jobs` is 1, otherwise in worker threads: under tsx from parse-worker-entry.ts, in a bundle
 * from the bundle itself (scripts/build.mjs starts every bundle with the isParseWorker() check
 * of worker-mark.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { readyParser, type ParserKind } from "../parse/backend.js";
import type { FileFacts } from "../parse/facts.js";
import { overParseLimit, parseFacts } from "../parse/parser.js";
import { contentHash, FactsCache } from "./cache.js";
import { classifyText, type TextClass } from "./classify.js";
import { remapOffsets, type LexicalSummary, type ParseInput } from "./lexical.js";
import { prepareUnit, type Preparation } from "./prepare.js";
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
  /** The files' paths in the tree, for what the worker reports of them. */
  paths: string[];
  /** Units whose files are all in `files`, as [first, count]: the worker prepares them (prepareUnit). */
  units: [first: number, count: number][];
}

/** Where something is in a scan outcome's bytes. */
export type ByteSpan = [start: number, end: number];

/** A Preparation on its way from a worker: the bytes to parse are in the outcome's buffer. */
export type PreparationMessage =
  | { parse: { path: string; shifts: number[]; bytes: ByteSpan }[]; warnings: string[] }
  | { lexical: LexicalSummary };

/**
 * What a scan gives: each file's text class and metadata, or the code of the error that kept it
 * from being read; each unit's preparation; and, for the units not prepared here, the bytes of
 * their files that name the catalog. All bytes come back to back in one transferred buffer.
 */
export interface ScanOutcome {
  classes: ((TextClass & { stat: FileStat }) | { error: string })[];
  /** By unit of the message: its preparation, or null when it names no catalog or a file could not be read. */
  prepared: (PreparationMessage | null)[];
  /** Files whose bytes came back, by their index in the message. */
  kept: [file: number, ...bytes: ByteSpan][];
  bytes: ArrayBuffer;
}

/** The Preparation a worker sent, its inputs' bytes viewed in the outcome's buffer. */
export function receivePreparation(message: PreparationMessage, bytes: ArrayBuffer): Preparation {
  if ("lexical" in message) return message;
  return {
    parse: message.parse.map(({ path, shifts, bytes: [start, end] }) => ({
      path,
      source: Buffer.from(bytes, start, end - start),
      shifts,
    })),
    warnings: message.warnings,
  };
}

/** Worker → main. `ready` once the parser has loaded, then one `done` per message. */
export type WorkerMessage =
  { type: "ready" } | { type: "done"; id: number; outcome: BatchOutcome | ScanOutcome };

/** What a parse worker is started with. */
export interface ParseWorkerData {
  mark: string;
  /** The facts cache directory, or false for none. */
  cache: string | false;
  /** The parser the main thread chose (backend.ts), or undefined to choose here. */
  parser?: ParserKind;
}

/**
 * Decodes as UTF-8 (invalid bytes become U+FFFD) and parses; any exception becomes a failure.
 * `parse` is parseFacts except in tests.
 */
export function parseOne(
  path: string,
  source: Uint8Array,
  parse: (path: string, text: string) => FileFacts = parseFacts,
): ParseResult {
  const large = overParseLimit(source.byteLength);
  if (large !== undefined) return { path, error: large };
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

/** What a scan sends back, copied into one buffer as it comes. */
class Outbox {
  private buffer = new Uint8Array(1 << 16);
  private length = 0;

  add(bytes: Uint8Array): ByteSpan {
    if (this.length + bytes.length > this.buffer.length) {
      const larger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes.length));
      larger.set(this.buffer.subarray(0, this.length));
      this.buffer = larger;
    }
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return [this.length - bytes.length, this.length];
  }

  finish(): ArrayBuffer {
    return this.buffer.slice(0, this.length).buffer;
  }
}

const scratch = new ScratchBuffer();

/**
 * Reads and classifies files, a unit's files together: the units that name the catalog are
 * prepared here, while their files are in memory.
 */
export function scanFiles(message: Omit<ScanMessage, "type" | "id">): ScanOutcome {
  const { files, paths, units } = message;
  const outcome: Omit<ScanOutcome, "bytes"> = {
    classes: new Array(files.length),
    prepared: [],
    kept: [],
  };
  const out = new Outbox();
  const readGroup = (first: number, count: number, unit?: number): void => {
    scratch.clear();
    const read: { index: number; start: number; end: number; textClass: TextClass }[] = [];
    for (let index = first; index < first + count; index++) {
      try {
        const { start, end, stat } = scratch.append(files[index] as string);
        const textClass = classifyText(scratch.bytes(start, end));
        outcome.classes[index] = { ...textClass, stat };
        read.push({ index, start, end, textClass });
      } catch (error) {
        outcome.classes[index] = { error: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
      }
    }
    const preparation =
      unit !== undefined && read.length === count
        ? prepareUnit(
            read.map(({ index, start, end, textClass }) => ({
              path: paths[index] as string,
              data: scratch.bytes(start, end),
              textClass,
            })),
          )
        : undefined;
    if (unit !== undefined) outcome.prepared[unit] = preparation === undefined ? null : send(preparation);
    // Left to the caller: it needs the files that name the catalog.
    if (preparation === undefined) {
      for (const { index, start, end, textClass } of read)
        if (textClass.catalog) outcome.kept.push([index, ...out.add(scratch.bytes(start, end))]);
    }
  };
  const send = (preparation: Preparation): PreparationMessage =>
    "lexical" in preparation
      ? preparation
      : {
          parse: preparation.parse.map((input) => ({
            path: input.path,
            shifts: input.shifts ?? [],
            bytes: out.add(input.source),
          })),
          warnings: preparation.warnings,
        };
  let next = 0;
  units.forEach(([first, count], unit) => {
    for (; next < first; next++) readGroup(next, 1);
    readGroup(first, count, unit);
    next = first + count;
  });
  for (; next < files.length; next++) readGroup(next, 1);
  return { ...outcome, bytes: out.finish() };
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
      const outcome = scanFiles(message);
      port.postMessage({ type: "done", id: message.id, outcome } satisfies WorkerMessage, [outcome.bytes]);
      return;
    }
    warnings = [];
    const outcome = parseBatch(message, cache, warnings);
    port.postMessage({ type: "done", id: message.id, outcome } satisfies WorkerMessage);
  });
  // The parser is made on first use: make it now, so a broken addon fails the worker before any
  // batch (the pool then reports that error) instead of failing every file one by one. A
  // rejection is uncaught on purpose: it ends the worker with that error.
  void readyParser((workerData as ParseWorkerData).parser).then(() => {
    parseFacts("<warm-up>", "");
    port.postMessage({ type: "ready" } satisfies WorkerMessage);
  });
}

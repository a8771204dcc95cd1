/**
 * Parses many files on `jobs` worker threads; jobs = 1 parses in the calling thread. Files go
 * out in batches whose bytes share one transferred buffer (one message per batch, no copy), and
 * idle workers take the next batch, so one large file does not hold the others back. Results
 * come back in input order; a file that fails to parse is a ParseFailure, never a crash.
 */
import { Worker } from "node:worker_threads";
import { isParseFailure, parseOne } from "./parse-worker.js";
import type { BatchMessage, ParseFailure, ParseResult, WorkerMessage } from "./parse-worker.js";
import { PARSE_WORKER_MARK } from "./worker-mark.js";

export type { ParseFailure, ParseResult };
export { isParseFailure };

export interface SourceInput {
  path: string;
  source: Buffer;
}

/** Called with the number of files parsed so far. */
export type ParsedCallback = (parsed: number) => void;

/** Batches stay between these sizes; enough batches per worker keeps the workers evenly busy. */
const MIN_BATCH_BYTES = 64 * 1024;
const MAX_BATCH_BYTES = 1024 * 1024;
const BATCHES_PER_WORKER = 8;

/** In the calling thread, hand control back to the event loop this often (progress rendering). */
const MAIN_THREAD_SLICE_MS = 50;

export async function parseFiles(
  files: readonly SourceInput[],
  jobs: number,
  onParsed?: ParsedCallback,
): Promise<ParseResult[]> {
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new RangeError(`jobs must be a whole number of at least 1, not ${String(jobs)}`);
  }
  if (files.length === 0) {
    return [];
  }
  if (jobs === 1) {
    return parseInThisThread(files, onParsed);
  }
  const batches = planBatches(files, jobs);
  return parseOnWorkers(files, batches, Math.min(jobs, batches.length), onParsed);
}

async function parseInThisThread(
  files: readonly SourceInput[],
  onParsed?: ParsedCallback,
): Promise<ParseResult[]> {
  const results: ParseResult[] = [];
  let sliceStart = performance.now();
  for (const file of files) {
    results.push(parseOne(file.path, file.source));
    onParsed?.(results.length);
    if (performance.now() - sliceStart > MAIN_THREAD_SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return results;
}

/** A batch: consecutive files of the input, from index `first`. */
export interface Batch {
  first: number;
  count: number;
  bytes: number;
}

export function planBatches(files: readonly SourceInput[], jobs: number): Batch[] {
  const total = files.reduce((sum, file) => sum + file.source.byteLength, 0);
  const target = Math.min(MAX_BATCH_BYTES, Math.max(MIN_BATCH_BYTES, total / (jobs * BATCHES_PER_WORKER)));
  const batches: Batch[] = [];
  let current: Batch | undefined;
  files.forEach((file, index) => {
    if (current === undefined || current.bytes + file.source.byteLength > target) {
      current = { first: index, count: 0, bytes: 0 };
      batches.push(current);
    }
    current.count += 1;
    current.bytes += file.source.byteLength;
  });
  return batches;
}

function batchMessage(files: readonly SourceInput[], batch: Batch, id: number): BatchMessage {
  const bytes = new Uint8Array(batch.bytes);
  const paths: string[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (let index = batch.first; index < batch.first + batch.count; index++) {
    const file = files[index] as SourceInput;
    bytes.set(file.source, offset);
    offset += file.source.byteLength;
    paths.push(file.path);
    ends.push(offset);
  }
  return { type: "batch", id, paths, ends, bytes: bytes.buffer };
}

/** How to start a worker: the bundle itself when bundled, else the .ts entry through tsx. */
function workerSource(): { script: string; eval: boolean } {
  if (typeof MSI_OWNERSHIP_BUNDLE !== "undefined") {
    return { script: __filename, eval: false };
  }
  // `--import tsx` in a worker's execArgv does not reach the worker's own entry on Node 20
  // ("Unknown file extension .ts"); registering tsx's hooks from inside the worker does.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./parse-worker-entry.ts", import.meta.url).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
    eval: true,
  };
}

function parseOnWorkers(
  files: readonly SourceInput[],
  batches: readonly Batch[],
  workerCount: number,
  onParsed?: ParsedCallback,
): Promise<ParseResult[]> {
  const results = new Array<ParseResult>(files.length);
  const source = workerSource();
  let nextBatch = 0;
  let parsed = 0;
  let settled = false;
  const workers = new Set<Worker>();

  return new Promise<ParseResult[]>((resolve, reject) => {
    const finish = (error?: Error): void => {
      if (settled) {
        return;
      }
      settled = true;
      for (const worker of workers) {
        void worker.terminate();
      }
      if (error === undefined) {
        resolve(results);
      } else {
        reject(error);
      }
    };

    const record = (batch: Batch, batchResults: readonly ParseResult[]): void => {
      batchResults.forEach((result, offset) => {
        results[batch.first + offset] = result;
      });
      parsed += batch.count;
      onParsed?.(parsed);
      if (parsed === files.length) {
        finish();
      }
    };

    const start = (): void => {
      const worker = new Worker(source.script, {
        eval: source.eval,
        execArgv: [],
        workerData: { mark: PARSE_WORKER_MARK },
      });
      workers.add(worker);
      let ready = false;
      let inFlight: Batch | undefined;

      const feed = (): void => {
        const index = nextBatch;
        const batch = batches[index];
        if (batch === undefined) {
          workers.delete(worker);
          void worker.terminate();
          return;
        }
        nextBatch += 1;
        inFlight = batch;
        const message = batchMessage(files, batch, index);
        worker.postMessage(message, [message.bytes]);
      };

      worker.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          ready = true;
          feed();
        } else if (inFlight !== undefined) {
          const batch = inFlight;
          inFlight = undefined;
          record(batch, message.results);
          feed();
        }
      });

      const lost = (reason: string): void => {
        workers.delete(worker);
        if (settled) {
          return;
        }
        if (!ready) {
          // Failing before the parser loaded is not about any file: it would fail everywhere.
          finish(new Error(`the parse worker could not start: ${reason}`));
          return;
        }
        const batch = inFlight;
        inFlight = undefined;
        if (batch !== undefined) {
          // A worker dies (native crash, memory limit) on one of the batch's files; which one is
          // unknown, so the batch's files are reported as failures and the others carry on.
          const failures: ParseFailure[] = [];
          for (let index = batch.first; index < batch.first + batch.count; index++) {
            failures.push({
              path: (files[index] as SourceInput).path,
              error: `parse worker stopped: ${reason}`,
            });
          }
          record(batch, failures);
        }
        if (!settled && nextBatch < batches.length) {
          start();
        }
      };
      worker.on("error", (error: Error) => lost(error.message));
      worker.on("exit", (code) => {
        if (workers.has(worker)) {
          lost(`exited with code ${code}`);
        }
      });
    };

    for (let count = 0; count < workerCount; count++) {
      start();
    }
  });
}

/** Set to true by scripts/build.mjs (esbuild `define`); undeclared under tsx. */
declare const MSI_OWNERSHIP_BUNDLE: true | undefined;

/**
 * Parses many files on `jobs` worker threads; jobs = 1 parses in the calling thread. Files go
 * out in batches whose bytes share one transferred buffer (one message per batch, no copy), and
 * idle workers take the next batch, so one large file does not hold the others back. Results
 * come back in input order; a file that fails to parse is a ParseFailure, never a crash. Half
 * the workers also read, classify and prepare files on disk for the scan (scan(), Role).
 */
import { Worker } from "node:worker_threads";
import { chooseParser, readyParser, type ParserKind } from "../parse/backend.js";
import { FactsCache } from "./cache.js";
import { isParseFailure, parseBatch, scanFiles } from "./parse-worker.js";
import type {
  BatchMessage,
  BatchOutcome,
  ParseFailure,
  ParseResult,
  ParseWorkerData,
  ScanMessage,
  ScanOutcome,
  WorkerMessage,
} from "./parse-worker.js";
import { PARSE_WORKER_MARK } from "./worker-mark.js";

export type { BatchOutcome, ParseFailure, ParseResult, ScanOutcome };
export { isParseFailure };

export interface SourceInput {
  path: string;
  source: Buffer;
  /** Where a parse plan took lines out (ParseInput.shifts). */
  shifts?: number[];
}

/** Called with the number of files parsed so far. */
export type ParsedCallback = (parsed: number) => void;

/** Batches stay between these sizes; enough batches per worker keeps the workers evenly busy. */
const MIN_BATCH_BYTES = 64 * 1024;
const MAX_BATCH_BYTES = 1024 * 1024;
const BATCHES_PER_WORKER = 8;

/** In the calling thread, hand control back to the event loop this often (progress rendering). */
const MAIN_THREAD_SLICE_MS = 50;

/** Parses `files` on a pool of its own (no cache), closed when done: results in input order. */
export async function parseFiles(
  files: readonly SourceInput[],
  jobs: number,
  onParsed?: ParsedCallback,
): Promise<ParseResult[]> {
  const pool = new ParsePool(jobs, { cache: false, onParsed, parser: await chooseParser() });
  try {
    return (await pool.parse(files)).results;
  } finally {
    pool.close();
  }
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
  const shifts = files.slice(batch.first, batch.first + batch.count).map((file) => file.shifts ?? []);
  return { type: "batch", id, paths, ends, bytes: bytes.buffer, shifts };
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

/**
 * What a worker does: "scan" workers read, classify and prepare, and parse when no scan waits;
 * "parse" workers only parse. Each kind of work then warms up the optimising compiler in half
 * the threads, and the compiler's own threads compete less with the workers for the cores.
 */
type Role = "scan" | "parse";

/** A batch on its way: the files it covers and where its outcome goes. */
interface Job {
  kind: Role;
  /** The message for the worker; made when a worker takes the job (its buffers are transferred). */
  message: (id: number) => BatchMessage | ScanMessage;
  /** The worker's outcome, or why the worker stopped on the job. */
  done: (outcome: BatchOutcome | ScanOutcome | { lost: string }) => void;
}

export interface PoolOptions {
  /** The facts cache directory, or false for none. */
  cache: string | false;
  /** Called with the number of files handed in whose batch is done. */
  onParsed?: ParsedCallback;
  /** The parser every thread uses (backend.ts chooseParser()); undefined: each thread chooses. */
  parser?: ParserKind;
}

/**
 * Workers that parse what is handed to them while the caller goes on (the audit hands each
 * module over as soon as it has read it). `parse()` may be called any number of times; each call
 * resolves with its own outcome, results in input order. Workers start on first use and stop at
 * close(). With jobs = 1, everything runs in the calling thread.
 */
export class ParsePool {
  private readonly queue: Job[] = [];
  private readonly workers = new Set<Worker>();
  private readonly ready = new WeakSet<Worker>();
  private readonly roles = new Map<Worker, Role>();
  private readonly idle: { role: Role; send: (job: Job) => void }[] = [];
  private parsed = 0;
  private failure: Error | undefined;
  private readonly failed = new Set<(error: Error) => void>();
  private closed = false;
  private mainThreadCache: FactsCache | undefined;
  private mainThreadWarnings: string[] = [];
  private sliceStart = performance.now();

  constructor(
    private readonly jobs: number,
    private readonly options: PoolOptions,
  ) {
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new RangeError(`jobs must be a whole number of at least 1, not ${String(jobs)}`);
    }
  }

  /** Parses `files` (on the facts cache's miss): their outcome, results in input order. */
  async parse(files: readonly SourceInput[]): Promise<BatchOutcome> {
    const batches = files.length === 0 ? [] : planBatches(files, this.jobs);
    if (this.jobs === 1) return this.parseInThisThread(files, batches);
    if (this.failure !== undefined) throw this.failure;
    const outcomes = new Array<BatchOutcome>(batches.length);
    let remaining = batches.length;
    if (remaining === 0) return { results: [], keys: [], cacheHits: 0, warnings: [] };
    return new Promise<BatchOutcome>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      this.failed.add(fail);
      batches.forEach((batch, index) => {
        this.enqueue({
          kind: "parse",
          message: (id) => batchMessage(files, batch, id),
          done: (reply) => {
            // A worker dies (native crash, memory limit) on one of the batch's files; which one
            // is unknown, so the batch's files are reported as failures and the others carry on.
            const outcome: BatchOutcome =
              "lost" in reply ? lostBatch(files, batch, reply.lost) : (reply as BatchOutcome);
            outcomes[index] = outcome;
            this.parsed += batch.count;
            this.options.onParsed?.(this.parsed);
            if (--remaining === 0) {
              this.failed.delete(fail);
              resolve(joinOutcomes(outcomes));
            }
          },
        });
      });
    });
  }

  /**
   * Reads and classifies files on disk (absolute paths), on the workers like parsing, and
   * prepares the units given (scanFiles). A file the worker could not read has an error; files a
   * lost worker was on have the reason it stopped.
   */
  async scan(request: Omit<ScanMessage, "type" | "id">): Promise<ScanOutcome> {
    if (this.jobs === 1 || request.files.length === 0) return scanFiles(request);
    if (this.failure !== undefined) throw this.failure;
    return new Promise<ScanOutcome>((resolve, reject) => {
      const fail = (error: Error): void => reject(error);
      this.failed.add(fail);
      this.enqueue({
        kind: "scan",
        message: (id) => ({ type: "scan", id, ...request }),
        done: (reply) => {
          this.failed.delete(fail);
          resolve(
            "lost" in reply
              ? {
                  classes: request.files.map(() => ({ error: `scan worker stopped: ${reply.lost}` })),
                  prepared: request.units.map(() => null),
                  kept: [],
                  bytes: new ArrayBuffer(0),
                }
              : (reply as ScanOutcome),
          );
        },
      });
    });
  }

  /** Starts every worker now, rather than on first use. */
  startAll(): void {
    if (this.jobs === 1 || this.closed) return;
    while (this.workers.size < this.jobs) this.start();
  }

  /**
   * Stops the workers; batches still queued are dropped. A worker still loading the parser stops
   * once it has loaded: terminating a thread inside the addon's initialisation aborts the process.
   */
  close(): void {
    this.closed = true;
    for (const worker of this.workers) if (this.ready.has(worker)) void worker.terminate();
    this.workers.clear();
  }

  private async parseInThisThread(
    files: readonly SourceInput[],
    batches: readonly Batch[],
  ): Promise<BatchOutcome> {
    await readyParser(this.options.parser);
    this.mainThreadCache ??= FactsCache.open(this.options.cache, {
      onWarning: (message) => this.mainThreadWarnings.push(message),
    });
    const outcomes: BatchOutcome[] = [];
    for (const [index, batch] of batches.entries()) {
      this.mainThreadWarnings = [];
      const message = batchMessage(files, batch, index);
      outcomes.push(parseBatch(message, this.mainThreadCache, this.mainThreadWarnings));
      this.parsed += batch.count;
      this.options.onParsed?.(this.parsed);
      // Hand control back to the event loop now and then (progress rendering).
      if (performance.now() - this.sliceStart > MAIN_THREAD_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        this.sliceStart = performance.now();
      }
    }
    return joinOutcomes(outcomes);
  }

  private enqueue(job: Job): void {
    // A parse goes to an idle parse worker first, then to an idle scan worker.
    let index = this.idle.findIndex((waiting) => waiting.role === job.kind);
    if (index < 0 && job.kind === "parse") index = this.idle.findIndex((waiting) => waiting.role === "scan");
    if (index >= 0) {
      const [waiting] = this.idle.splice(index, 1);
      waiting?.send(job);
      return;
    }
    this.queue.push(job);
    if (this.workers.size < this.jobs) this.start();
  }

  /** The next queued job for a worker of `role`: a scan worker takes scans first. */
  private next(role: Role): Job | undefined {
    let index = this.queue.findIndex((job) => job.kind === role);
    if (index < 0 && role === "scan") index = this.queue.findIndex((job) => job.kind === "parse");
    return index < 0 ? undefined : this.queue.splice(index, 1)[0];
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const reject of this.failed) reject(error);
    this.failed.clear();
    this.close();
  }

  private start(): void {
    const source = workerSource();
    const workerData: ParseWorkerData = {
      mark: PARSE_WORKER_MARK,
      cache: this.options.cache,
      parser: this.options.parser,
    };
    const worker = new Worker(source.script, { eval: source.eval, execArgv: [], workerData });
    // Half the workers scan (rounded up), so that a single one does everything.
    const scanning = [...this.roles.values()].filter((role) => role === "scan").length;
    const role: Role = scanning <= this.roles.size - scanning ? "scan" : "parse";
    this.workers.add(worker);
    this.roles.set(worker, role);
    let ready = false;
    let inFlight: Job | undefined;
    let id = 0;

    const send = (job: Job): void => {
      inFlight = job;
      const message = job.message(id++);
      worker.postMessage(message, message.type === "batch" ? [message.bytes] : []);
    };
    const feed = (): void => {
      const job = this.next(role);
      if (job !== undefined) send(job);
      else this.idle.push({ role, send });
    };

    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") {
        ready = true;
        this.ready.add(worker);
        if (this.closed) void worker.terminate();
        else feed();
      } else if (inFlight !== undefined) {
        const job = inFlight;
        inFlight = undefined;
        job.done(message.outcome);
        feed();
      }
    });

    const lost = (reason: string): void => {
      if (!this.workers.delete(worker) || this.closed) return;
      this.roles.delete(worker);
      const index = this.idle.findIndex((waiting) => waiting.send === send);
      if (index >= 0) this.idle.splice(index, 1);
      if (!ready) {
        // Failing before the parser loaded is not about any file: it would fail everywhere.
        this.fail(new Error(`the parse worker could not start: ${reason}`));
        return;
      }
      const job = inFlight;
      inFlight = undefined;
      job?.done({ lost: reason });
      if (this.queue.length > 0) this.start();
    };
    worker.on("error", (error: Error) => lost(error.message));
    worker.on("exit", (code) => lost(`exited with code ${code}`));
  }
}

function lostBatch(files: readonly SourceInput[], batch: Batch, reason: string): BatchOutcome {
  const results: ParseFailure[] = [];
  for (let index = batch.first; index < batch.first + batch.count; index++) {
    results.push({ path: (files[index] as SourceInput).path, error: `parse worker stopped: ${reason}` });
  }
  return { results, keys: results.map(() => ""), cacheHits: 0, warnings: [] };
}

function joinOutcomes(outcomes: readonly BatchOutcome[]): BatchOutcome {
  return {
    results: outcomes.flatMap((outcome) => outcome.results),
    keys: outcomes.flatMap((outcome) => outcome.keys),
    cacheHits: outcomes.reduce((sum, outcome) => sum + outcome.cacheHits, 0),
    warnings: outcomes.flatMap((outcome) => outcome.warnings),
  };
}

/** Set to true by scripts/build.mjs (esbuild `define`); undeclared under tsx. */
declare const MSI_OWNERSHIP_BUNDLE: true | undefined;

/**
 * Progress of an audit on stderr. On a terminal: one bar (phase, files done of total, files
 * scanned and parsed, ETA), shown only when the audit lasts long enough to need one. Elsewhere
 * (CI logs): nothing until the final line, `msi-ownership: 20681 files scanned, 1234 parsed in
 * 3.2 s`.
 */
import { SingleBar } from "cli-progress";
import type { Progress } from "../analyze.js";

export interface ProgressTotals {
  filesScanned: number;
  /** Files parsed or whose facts came from the cache. */
  filesParsed: number;
  /** Of those, the ones whose facts came from the cache. */
  cacheHits?: number;
}

export interface ProgressReporter {
  /** Pass as `onProgress` to analyze(). */
  onProgress: (progress: Progress) => void;
  /** Ends the bar and prints the final line; `totals` (e.g. the report's stats) win over the counts seen. */
  finish(totals?: ProgressTotals): void;
  /** Ends the bar without a final line (the audit failed: its error message follows). */
  abort(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: whether the stream is a terminal. */
  interactive?: boolean;
  /** No bar for audits shorter than this. */
  delayMs?: number;
  now?: () => number;
}

const PHASE_LABEL: Record<Progress["phase"], string> = {
  scan: "scanning",
  parse: "parsing",
  analyse: "analysing",
};

export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const interactive = options.interactive ?? stream.isTTY === true;
  const delayMs = options.delayMs ?? 300;
  const now = options.now ?? (() => performance.now());
  const started = now();
  let scanned = 0;
  let parsed = 0;
  let bar: SingleBar | undefined;
  let barPhase: Progress["phase"] | undefined;
  let ended = false;

  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
  };

  return {
    onProgress(progress) {
      if (ended) {
        return;
      }
      if (progress.phase === "scan") {
        scanned = Math.max(scanned, progress.done);
      } else if (progress.phase === "parse") {
        parsed = Math.max(parsed, progress.done);
      }
      if (!interactive || now() - started < delayMs) {
        return;
      }
      const payload = { phase: PHASE_LABEL[progress.phase], scanned, parsed };
      if (bar === undefined) {
        bar = new SingleBar({
          stream,
          format:
            "{phase} [{bar}] {value}/{total} | {scanned} scanned, {parsed} parsed | ETA {eta_formatted}",
          barsize: 30,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        });
        bar.start(progress.total, progress.done, payload);
        barPhase = progress.phase;
      } else if (barPhase !== progress.phase) {
        // A new phase restarts the ETA: its pace has nothing to do with the previous one's.
        bar.start(progress.total, progress.done, payload);
        barPhase = progress.phase;
      } else {
        bar.setTotal(progress.total);
        bar.update(progress.done, payload);
      }
    },
    finish(totals) {
      if (ended) {
        return;
      }
      ended = true;
      stopBar();
      const seconds = (now() - started) / 1000;
      stream.write(`${formatFinalLine(totals ?? { filesScanned: scanned, filesParsed: parsed }, seconds)}\n`);
    },
    abort() {
      ended = true;
      stopBar();
    },
  };
}

export function formatFinalLine(totals: ProgressTotals, seconds: number): string {
  const cached = totals.cacheHits ?? 0;
  const parsed = `${totals.filesParsed - cached} parsed${cached > 0 ? `, ${cached} from the cache` : ""}`;
  return `msi-ownership: ${totals.filesScanned} files scanned, ${parsed} in ${seconds.toFixed(1)} s`;
}

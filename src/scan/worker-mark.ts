/**
 * How a bundle knows it was started as a parse worker. Kept free of imports beyond
 * node:worker_threads: every bundle entry checks it before loading anything else.
 */
import { isMainThread, workerData } from "node:worker_threads";

/** Marks the workerData of a parse worker. */
export const PARSE_WORKER_MARK = "msi-ownership/parse-worker@1";

export function isParseWorker(): boolean {
  return (
    !isMainThread &&
    typeof workerData === "object" &&
    workerData !== null &&
    (workerData as { mark?: unknown }).mark === PARSE_WORKER_MARK
  );
}

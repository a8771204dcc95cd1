/**
 * Combines reports of one tree made by separate runs (`--shard K/N` on several machines): the
 * drivers of all, the summary counted again, the stats added up.
 */
import { compareDrivers, summarize } from "./summary.js";
import type { Report } from "./types.js";

export class MergeError extends Error {}

export function mergeReports(reports: readonly Report[]): Report {
  const [first] = reports;
  if (first === undefined) throw new MergeError("nothing to merge");
  for (const report of reports) {
    if (report.schema !== first.schema)
      throw new MergeError(`cannot merge schema ${report.schema} with ${first.schema}`);
    if (report.tree.kernelVersion !== first.tree.kernelVersion) {
      throw new MergeError(
        `reports of different trees: ${first.tree.kernelVersion} and ${report.tree.kernelVersion}`,
      );
    }
  }
  const seen = new Set<string>();
  const drivers = reports
    .flatMap((report) => report.drivers)
    .filter((driver) => {
      const key = `${driver.unit}\0${driver.driver ?? ""}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(compareDrivers);
  const summary = summarize(drivers);
  const sum = (pick: (report: Report) => number | undefined): number =>
    reports.reduce((total, report) => total + (pick(report) ?? 0), 0);
  const merged: Report = {
    ...first,
    drivers,
    summary,
    stats: {
      filesScanned: sum((report) => report.stats.filesScanned),
      filesParsed: sum((report) => report.stats.filesParsed),
      durationMs: Math.max(...reports.map((report) => report.stats.durationMs)),
      cacheHits: sum((report) => report.stats.cacheHits),
    },
  };
  const warnings = [...new Set(reports.flatMap((report) => report.warnings ?? []))].sort();
  if (warnings.length > 0) merged.warnings = warnings;
  else delete merged.warnings;
  return merged;
}

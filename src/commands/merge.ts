import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { formatReport, parseReportFormat, REPORT_FORMATS } from "../report/index.js";
import { MergeError, mergeReports } from "../report/merge.js";
import { REPORT_SCHEMA, type Report } from "../report/types.js";
import { writeOutput } from "./audit.js";
import { EXIT_OK, UsageError } from "./shared.js";

async function readReport(path: string): Promise<Report> {
  let report: Report;
  try {
    report = JSON.parse(await readFile(path, "utf8")) as Report;
  } catch (error) {
    throw new UsageError(`${path}: not a readable JSON report (${(error as Error).message})`);
  }
  if (report?.schema !== REPORT_SCHEMA) throw new UsageError(`${path}: not an ${REPORT_SCHEMA} report`);
  return report;
}

export function registerMerge(program: Command, setStatus: (code: number) => void): void {
  program
    .command("merge")
    .description("combine the JSON reports of `audit --shard K/N` runs into one")
    .argument("<reports...>", "JSON reports")
    .option("--format <format>", `output format (${REPORT_FORMATS.join(", ")})`, "json")
    .option("--output <file>", "write the merged report to a file instead of stdout")
    .action(async (paths: string[], options: { format: string; output?: string }) => {
      const format = parseReportFormat(options.format);
      const reports = await Promise.all(paths.map(readReport));
      let merged: Report;
      try {
        merged = mergeReports(reports);
      } catch (error) {
        if (error instanceof MergeError) throw new UsageError(`merge: ${error.message}`);
        throw error;
      }
      const text = formatReport(merged, format);
      if (options.output === undefined) process.stdout.write(text);
      else await writeOutput(options.output, text);
      setStatus(EXIT_OK);
    });
}

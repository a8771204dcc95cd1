import { writeFile, rename } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import type { Command } from "commander";
import { analyze } from "../analyze.js";
import { applyBaseline, readBaseline } from "../report/baseline.js";
import { formatReport, loadFormatOptions, parseReportFormat, REPORT_FORMATS } from "../report/index.js";
import type { Report } from "../report/types.js";
import { createProgressReporter } from "../scan/progress.js";
import { FsSource } from "../scan/source.js";
import { treePaths, EXIT_FINDINGS, EXIT_OK, isBlocking, parseFailOn, UsageError } from "./shared.js";

export interface AuditCliOptions {
  root: string;
  format: string;
  output?: string;
  failOn: string;
  jobs?: string;
  cache?: string | false;
  baseline?: string;
  previous?: string;
  linkBase?: string;
  shard?: string;
}

/** Writes all or nothing: a temporary file renamed into place. */
export async function writeOutput(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    throw new UsageError(
      `--output ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

export function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new UsageError(`--jobs: expected a positive integer, got '${value}'`);
  return jobs;
}

/** `K/N`: the K-th of N shares of the modules, 1 <= K <= N. */
export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected K/N with 1 <= K <= N, got '${value}'`);
  }
  return { index, count };
}

/** Runs an audit from command-line options, with progress on stderr: shared by `audit` and `baseline`. */
export async function runAudit(paths: string[], options: AuditCliOptions): Promise<Report> {
  const jobs = parseJobs(options.jobs);
  const shard = parseShard(options.shard);
  const source = await FsSource.open(options.root);
  const progress = createProgressReporter();
  try {
    const report = await analyze(source, {
      paths: paths.length > 0 ? treePaths(paths, options.root) : ["drivers"],
      onProgress: progress.onProgress,
      ...(jobs === undefined ? {} : { jobs }),
      ...(shard === undefined ? {} : { shard }),
      ...(options.cache === undefined ? {} : { cache: options.cache }),
    });
    progress.finish(report.stats);
    return report;
  } catch (error) {
    progress.abort();
    throw error;
  }
}

export function registerAudit(program: Command, setStatus: (code: number) => void): void {
  program
    .command("audit")
    .description("audit a kernel tree (default: drivers/ under the root)")
    .argument("[paths...]", "directories or files under the root")
    .option("--root <dir>", "root of the kernel tree", ".")
    .option("--format <format>", `output format (${REPORT_FORMATS.join(", ")})`, "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--fail-on <policy>", "exit 1 on: new | error | any | never", "error")
    .option("--jobs <n>", "parser threads (default: the machine's cores)")
    .option("--cache <dir>", "facts cache directory")
    .option("--no-cache", "do not read or write the facts cache")
    .option(
      "--shard <K/N>",
      "audit only the K-th of N shares of the modules (merge the reports with `merge`)",
    )
    .option("--baseline <file>", "drop the findings accepted in this baseline (msi-ownership baseline)")
    .option("--previous <file>", "markdown: an earlier JSON report, to show what changed since")
    .option(
      "--link-base <url>",
      "markdown: link evidence to lines, e.g. https://github.com/OWNER/REPO/blob/SHA",
    )
    .action(async (paths: string[], options: AuditCliOptions) => {
      const failOn = parseFailOn(options.failOn);
      const format = parseReportFormat(options.format);
      if (options.previous !== undefined && format !== "markdown") {
        throw new UsageError("--previous: only with --format markdown");
      }
      // Bad inputs fail before the analysis, not after it.
      const baseline = options.baseline === undefined ? undefined : await readBaseline(options.baseline);
      const formatOptions = await loadFormatOptions(format, {
        root: options.root,
        ...(options.previous === undefined ? {} : { previous: options.previous }),
        ...(options.linkBase === undefined ? {} : { linkBase: options.linkBase }),
      });
      let report = await runAudit(paths, options);
      if (baseline) report = applyBaseline(report, baseline);
      for (const warning of report.warnings ?? [])
        process.stderr.write(`msi-ownership: warning: ${warning}\n`);
      const text = formatReport(report, format, formatOptions);
      if (options.output === undefined) process.stdout.write(text);
      else await writeOutput(options.output, text);
      const findings = report.drivers.flatMap((driver) => driver.findings);
      setStatus(isBlocking(findings, failOn) ? EXIT_FINDINGS : EXIT_OK);
    });
}

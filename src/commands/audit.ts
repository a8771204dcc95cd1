import { writeFile, rename } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import type { Command } from "commander";
import { analyze } from "../analyze.js";
import { formatText } from "../report/text.js";
import type { Report } from "../report/types.js";
import { FsSource } from "../scan/source.js";
import { EXIT_FINDINGS, EXIT_OK, isBlocking, parseFailOn, UsageError } from "./shared.js";

export const FORMATS = ["text", "json"] as const;

export interface AuditCliOptions {
  root: string;
  format: string;
  output?: string;
  failOn: string;
  jobs?: string;
  cache?: string | false;
}

export function formatReport(report: Report, format: string): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "text":
      return formatText(report);
    default:
      throw new UsageError(`--format: unknown value '${format}' (allowed: ${FORMATS.join(", ")})`);
  }
}

/** Writes all or nothing: a temporary file renamed into place. */
export async function writeOutput(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    throw new UsageError(`--output ${path}: cannot write (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export function parseJobs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs: expected a positive integer, got '${value}'`);
  return jobs;
}

/** Runs an audit from command-line options: shared by `audit` and `baseline`. */
export async function runAudit(paths: string[], options: AuditCliOptions): Promise<Report> {
  const source = await FsSource.open(options.root);
  const jobs = parseJobs(options.jobs);
  return analyze(source, {
    paths: paths.length > 0 ? paths : ["drivers"],
    ...(jobs === undefined ? {} : { jobs }),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
  });
}

export function registerAudit(program: Command, setStatus: (code: number) => void): void {
  program
    .command("audit")
    .description("audit a kernel tree (default: drivers/ under the root)")
    .argument("[paths...]", "directories or files under the root")
    .option("--root <dir>", "root of the kernel tree", ".")
    .option("--format <format>", `output format (${FORMATS.join(", ")})`, "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--fail-on <policy>", "exit 1 on: new | error | any | never", "error")
    .option("--jobs <n>", "parser threads (default: the machine's cores)")
    .option("--cache <dir>", "facts cache directory")
    .option("--no-cache", "do not read or write the facts cache")
    .action(async (paths: string[], options: AuditCliOptions) => {
      const failOn = parseFailOn(options.failOn);
      if (!(FORMATS as readonly string[]).includes(options.format)) formatReport({} as Report, options.format);
      const report = await runAudit(paths, options);
      for (const warning of report.warnings ?? []) process.stderr.write(`msi-ownership: warning: ${warning}\n`);
      const text = formatReport(report, options.format);
      if (options.output === undefined) process.stdout.write(text);
      else await writeOutput(options.output, text);
      const findings = report.drivers.flatMap((driver) => driver.findings);
      setStatus(isBlocking(findings, failOn) ? EXIT_FINDINGS : EXIT_OK);
    });
}

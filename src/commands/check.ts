/**
 * `check --base REV [--head REV]`: PR mode on a local git checkout. Analyses the modules the
 * change touches at base and at head and reports them, each finding marked new or not.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { checkChange, findingsOf } from "../diff/check.js";
import { formatReport, parseReportFormat, REPORT_FORMATS } from "../report/index.js";
import { parseJobs, writeOutput } from "./audit.js";
import { EXIT_FINDINGS, EXIT_OK, isBlocking, parseFailOn } from "./shared.js";

interface CheckCommandOptions {
  base: string;
  head?: string;
  root: string;
  format: string;
  output?: string;
  failOn: string;
  jobs?: string;
  cache?: string | false;
}

export function registerCheck(program: Command, setStatus: (code: number) => void): void {
  program
    .command("check")
    .description("PR mode: analyse the modules a change touches at base and head, report what is new")
    .requiredOption("--base <rev>", "(required) the revision the change is compared to")
    .option("--head <rev>", "the revision of the change (default: the working tree)")
    .option("--root <dir>", "the git checkout", ".")
    .option("--format <format>", `output format: ${REPORT_FORMATS.join(", ")}`, "text")
    .option("--output <file>", "write the report to a file instead of stdout")
    .option("--fail-on <policy>", "exit 1 on: new | error | any | never", "new")
    .option("--jobs <n>", "parser worker threads (default: the machine's cores)")
    .option("--cache <dir>", "facts cache directory")
    .option("--no-cache", "do not cache parsed facts")
    .action(async (options: CheckCommandOptions) => {
      const format = parseReportFormat(options.format);
      const failOn = parseFailOn(options.failOn);
      const jobs = parseJobs(options.jobs);
      const result = await checkChange({
        root: resolve(options.root),
        base: options.base,
        ...(options.head !== undefined && { head: options.head }),
        ...(jobs !== undefined && { jobs }),
        ...(options.cache !== undefined && { cache: options.cache }),
      });
      const findings = findingsOf(result.report);
      const text = formatReport(result.report, format);
      if (options.output === undefined) process.stdout.write(text);
      else await writeOutput(options.output, text);
      const fresh = findings.filter((finding) => finding.new !== false).length;
      if (result.eraChange !== undefined) process.stderr.write(`check: ${result.eraChange}\n`);
      process.stderr.write(
        `check: ${result.report.drivers.length} module(s) touched by ${result.changedFiles.length} changed file(s), ` +
          `${findings.length} finding(s), ${fresh} new since ${result.baseCommit.slice(0, 12)}` +
          (result.resolved.length > 0 ? `, ${result.resolved.length} resolved` : "") +
          "\n",
      );
      setStatus(isBlocking(findings, failOn) ? EXIT_FINDINGS : EXIT_OK);
    });
}

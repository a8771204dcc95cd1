/**
 * `msi-ownership baseline [PATH...] --output FILE`: audits like `audit` and writes every
 * finding's fingerprint, so a fork can accept today's findings and gate only on new ones
 * (`audit --baseline FILE`).
 */
import type { Command } from "commander";
import { writeBaseline } from "../report/baseline.js";
import { runAudit, writeOutput } from "./audit.js";
import { EXIT_OK } from "./shared.js";

interface BaselineCliOptions {
  root: string;
  output?: string;
  jobs?: string;
  cache?: string | false;
}

export function registerBaseline(program: Command, setStatus: (code: number) => void): void {
  program
    .command("baseline")
    .description("write the fingerprints of today's findings, to accept them (audit --baseline FILE)")
    .argument("[paths...]", "directories or files under the root (default: drivers)")
    .option("--root <dir>", "root of the kernel tree", ".")
    .option("--output <file>", "the baseline file to write (default: stdout)")
    .option("--jobs <n>", "parser threads (default: the machine's cores)")
    .option("--cache <dir>", "facts cache directory")
    .option("--no-cache", "do not read or write the facts cache")
    .action(async (paths: string[], options: BaselineCliOptions) => {
      const report = await runAudit(paths, { ...options, format: "json", failOn: "never" });
      for (const warning of report.warnings ?? [])
        process.stderr.write(`msi-ownership: warning: ${warning}\n`);
      const text = writeBaseline(report);
      if (options.output === undefined) {
        process.stdout.write(text);
      } else {
        await writeOutput(options.output, text);
        const count = report.drivers.reduce((sum, driver) => sum + driver.findings.length, 0);
        process.stderr.write(`msi-ownership: ${count} finding(s) accepted in ${options.output}\n`);
      }
      setStatus(EXIT_OK);
    });
}

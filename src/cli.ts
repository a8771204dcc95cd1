#!/usr/bin/env node
/**
 * The command line. Each subcommand lives in src/commands/ and registers itself here; this
 * file only turns errors into the exit statuses of DESIGN.md (0 ok, 1 blocking findings,
 * 2 bad usage or input, with a one-line reason on stderr).
 */
import { Command, CommanderError } from "commander";
import { registerAudit } from "./commands/audit.js";
import { registerBaseline } from "./commands/baseline.js";
import { registerCheck } from "./commands/check.js";
import { registerExplain } from "./commands/explain.js";
import { registerFix } from "./commands/fix.js";
import { registerMerge } from "./commands/merge.js";
import { EXIT_USAGE, UsageError } from "./commands/shared.js";
import { ParserUnavailable } from "./parse/backend.js";
import { InputError } from "./scan/source.js";
import { TOOL_VERSION } from "./version.js";

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command("msi-ownership")
    .description("Who owns the MSI/MSI-X vectors of Linux PCI drivers")
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  let status = 0;
  const setStatus = (code: number): void => {
    status = code;
  };
  registerAudit(program, setStatus);
  registerBaseline(program, setStatus);
  registerCheck(program, setStatus);
  registerExplain(program, setStatus);
  registerFix(program, setStatus);
  registerMerge(program, setStatus);
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError || error instanceof InputError || error instanceof ParserUnavailable) {
      process.stderr.write(`msi-ownership: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  return status;
}

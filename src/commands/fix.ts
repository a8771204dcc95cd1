import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { buildPatches, summaryText } from "../fix/index.js";
import { FsSource } from "../scan/source.js";
import { TOOL_VERSION } from "../version.js";
import { runAudit } from "./audit.js";
import { EXIT_OK, UsageError } from "./shared.js";

export interface FixCliOptions {
  root: string;
  outputDir?: string;
  assumePcimApi?: boolean;
  from?: string;
  date?: string;
  jobs?: string;
  cache?: string | false;
}

/** The author git would use in the tree, else a placeholder the user replaces. */
function defaultAuthor(root: string): string {
  const config = (key: string): string | undefined => {
    try {
      return (
        execFileSync("git", ["-C", root, "config", key], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }).trim() || undefined
      );
    } catch {
      return undefined;
    }
  };
  const name = process.env.GIT_AUTHOR_NAME ?? config("user.name");
  const email = process.env.GIT_AUTHOR_EMAIL ?? config("user.email");
  return name !== undefined && email !== undefined
    ? `${name} <${email}>`
    : "msi-ownership <msi-ownership@localhost>";
}

/**
 * Subjects of the last commits that touch the files, newest first; none unless the root is the
 * top of a git checkout (a tree unpacked inside another project has no history of its own).
 */
function gitHistory(root: string): (files: readonly string[]) => Promise<string[]> {
  const git = (args: string[]): string =>
    execFileSync("git", ["-C", root, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 1 << 20,
    });
  let isTop: boolean | undefined;
  return async (files) => {
    if (files.length === 0) return [];
    try {
      isTop ??= realpathSync(git(["rev-parse", "--show-toplevel"]).trim()) === realpathSync(root);
      if (!isTop) return [];
      return git(["log", "--no-merges", "-n", "30", "--format=%s", "--", ...files])
        .split("\n")
        .filter((line) => line !== "");
    } catch {
      return [];
    }
  };
}

function parseDate(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--date: not a date: '${value}'`);
  return date;
}

export function registerFix(program: Command, setStatus: (code: number) => void): void {
  program
    .command("fix")
    .description("write one git format-patch patch per driver that needs conversion")
    .argument("[paths...]", "directories or files under the root (default: drivers)")
    .option("--root <dir>", "root of the kernel tree", ".")
    .option("--output-dir <dir>", "(required) directory for the patches and summary.txt")
    .option("--assume-pcim-api", "convert to pcim_alloc_irq_vectors() even if the tree lacks it")
    .option("--from <author>", "patch author, 'Name <address>' (default: git config of the root)")
    .option("--date <date>", "patch date (default: now)")
    .option("--jobs <n>", "parser threads (default: the machine's cores)")
    .option("--cache <dir>", "facts cache directory")
    .option("--no-cache", "do not read or write the facts cache")
    .action(async (paths: string[], options: FixCliOptions) => {
      if (options.outputDir === undefined) throw new UsageError("fix: --output-dir is required");
      if (options.from !== undefined && !/^[^<>]+ <[^<>\s]+>$/.test(options.from))
        throw new UsageError(`--from: expected 'Name <address>', got '${options.from}'`);
      const date = parseDate(options.date);
      const outputDir = options.outputDir;
      try {
        await mkdir(outputDir, { recursive: true });
      } catch (error) {
        throw new UsageError(
          `--output-dir ${outputDir}: cannot create (${(error as NodeJS.ErrnoException).code ?? ""})`,
        );
      }
      const report = await runAudit(paths, { ...options, format: "json", failOn: "never" });
      for (const warning of report.warnings ?? [])
        process.stderr.write(`msi-ownership: warning: ${warning}\n`);
      const source = await FsSource.open(options.root);
      const result = await buildPatches(
        report,
        async (path) => (await source.read(path).catch(() => undefined))?.toString("latin1"),
        {
          assumePcimApi: options.assumePcimApi === true,
          from: options.from ?? defaultAuthor(options.root),
          history: gitHistory(options.root),
          date,
          signature: `msi-ownership ${TOOL_VERSION}`,
        },
      );
      // Patches of an earlier run would be mistaken for this one's.
      for (const name of await readdir(outputDir)) {
        if (/^\d{4}-.*\.patch$/.test(name)) await rm(join(outputDir, name));
      }
      for (const patch of result.patches)
        await writeFile(join(outputDir, patch.name), Buffer.from(patch.text, "latin1"));
      const summary = summaryText(result);
      await writeFile(join(outputDir, "summary.txt"), summary);
      process.stdout.write(summary);
      setStatus(EXIT_OK);
    });
}

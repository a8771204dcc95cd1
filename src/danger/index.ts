/**
 * The Danger plugin: `import { msiOwnership } from "msi-ownership/danger"`, then
 * `await msiOwnership(options)` in a dangerfile. It reads the action's JSON report when given one,
 * or analyses the modules the PR changes at base and head itself, and posts through Danger's
 * globals (`danger`, `fail`, `warn`, `markdown`). Nothing happens at import.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseFailOn, type FailOn } from "../commands/shared.js";
import type { ChangedFile } from "../diff/check.js";
import { REPORT_SCHEMA, type Report, type Status } from "../report/types.js";
import {
  countByStatus,
  GITHUB,
  GITLAB,
  githubLineLink,
  gitlabLineLink,
  type Platform,
  headLinesOfDiff,
  isFullAudit,
  planReview,
  type DiffChunk,
  type LineLink,
  type ReviewPlan,
} from "./review.js";

export { planReview, headLinesOfDiff, suggestedLine, summaryMarkdown } from "./review.js";
export type { ReviewPlan, Violation } from "./review.js";

export interface MsiOwnershipOptions {
  /** The action's JSON report (`report` output); absent: analyse the PR's modules here. */
  report?: string;
  /** A full audit report (`msi-ownership audit --format json`) for the tree-wide count. */
  fullReport?: string;
  /** Which findings fail the Danger run, as the action's `fail-on`; default `new`. */
  failOn?: FailOn;
  /** Place findings inline on the diff; default true. */
  inline?: boolean;
  /** Add a suggestion block (GitHub's or GitLab's) where the fix is mechanical; default true. */
  suggestions?: boolean;
  /** The kernel checkout the analysis reads when no report is given; default the current directory. */
  root?: string;
}

/** The parts of Danger's DSL the plugin uses (danger's own typings are global declarations). */
interface DangerGitDSL {
  base: string;
  head: string;
  modified_files: string[];
  created_files: string[];
  deleted_files: string[];
  structuredDiffForFile(filename: string): Promise<{ chunks: DiffChunk[] } | null>;
}

interface DangerGitHubDSL {
  pr?: {
    head?: { sha?: string };
    base?: { repo?: { html_url?: string } };
  };
}

/** Danger's GitLab DSL (`danger ci` in a merge request pipeline): the merge request. */
interface DangerGitLabDSL {
  mr?: {
    web_url?: string;
    sha?: string;
    diff_refs?: { head_sha?: string };
  };
}

interface DangerGlobals {
  danger: { git: DangerGitDSL; github?: DangerGitHubDSL; gitlab?: DangerGitLabDSL };
  fail(message: string, file?: string, line?: number): void;
  warn(message: string, file?: string, line?: number): void;
  markdown(message: string, file?: string, line?: number): void;
}

function dangerGlobals(): DangerGlobals {
  const scope = globalThis as unknown as Partial<DangerGlobals>;
  for (const name of ["danger", "fail", "warn", "markdown"] as const) {
    if (scope[name] === undefined) {
      throw new Error(`msiOwnership() runs inside a dangerfile: Danger's global '${name}' is missing`);
    }
  }
  return scope as DangerGlobals;
}

const OPTION_NAMES: readonly string[] = ["report", "fullReport", "failOn", "inline", "suggestions", "root"];

function validateOptions(
  options: MsiOwnershipOptions,
): Required<Pick<MsiOwnershipOptions, "failOn" | "inline" | "suggestions">> {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new Error(`msiOwnership: unknown option '${key}' (allowed: ${OPTION_NAMES.join(", ")})`);
    }
  }
  for (const key of ["inline", "suggestions"] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== "boolean") {
      throw new Error(`msiOwnership: option '${key}' must be true or false, not ${JSON.stringify(value)}`);
    }
  }
  return {
    failOn:
      options.failOn === undefined ? "new" : parseFailOn(options.failOn, "msiOwnership option 'failOn'"),
    inline: options.inline ?? true,
    suggestions: options.suggestions ?? true,
  };
}

function parseBoolean(name: string, value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new Error(`${name}: '${value}' is not a boolean (true or false)`);
}

/**
 * The options the ready-made dangerfile takes from the environment: MSI_OWNERSHIP_REPORT,
 * MSI_OWNERSHIP_FULL_REPORT, MSI_OWNERSHIP_FAIL_ON, MSI_OWNERSHIP_INLINE,
 * MSI_OWNERSHIP_SUGGESTIONS. Empty values count as unset (a workflow's unset expressions).
 */
export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): MsiOwnershipOptions {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === "" ? undefined : raw;
  };
  const options: MsiOwnershipOptions = {};
  const report = value("MSI_OWNERSHIP_REPORT");
  if (report !== undefined) options.report = report;
  const fullReport = value("MSI_OWNERSHIP_FULL_REPORT");
  if (fullReport !== undefined) options.fullReport = fullReport;
  const failOn = value("MSI_OWNERSHIP_FAIL_ON");
  if (failOn !== undefined) options.failOn = parseFailOn(failOn, "MSI_OWNERSHIP_FAIL_ON");
  const inline = value("MSI_OWNERSHIP_INLINE");
  if (inline !== undefined) options.inline = parseBoolean("MSI_OWNERSHIP_INLINE", inline);
  const suggestions = value("MSI_OWNERSHIP_SUGGESTIONS");
  if (suggestions !== undefined) options.suggestions = parseBoolean("MSI_OWNERSHIP_SUGGESTIONS", suggestions);
  const root = value("MSI_OWNERSHIP_ROOT");
  if (root !== undefined) options.root = root;
  return options;
}

/** Reads and checks a JSON report; the message names the file and what is wrong. */
export async function readReport(path: string, what: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`msiOwnership: ${what} ${path}: ${code === "ENOENT" ? "no such file" : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`msiOwnership: ${what} ${path}: not JSON (${(error as Error).message})`);
  }
  const report = parsed as Partial<Report> | null;
  if (
    report === null ||
    typeof report !== "object" ||
    report.schema !== REPORT_SCHEMA ||
    !Array.isArray(report.drivers)
  ) {
    throw new Error(
      `msiOwnership: ${what} ${path}: not an msi-ownership report (expected schema ${REPORT_SCHEMA})`,
    );
  }
  return report as Report;
}

function changedFilesOf(git: DangerGitDSL): ChangedFile[] {
  return [
    ...git.created_files.map((path): ChangedFile => ({ path, status: "added" })),
    ...git.modified_files.map((path): ChangedFile => ({ path, status: "modified" })),
    ...git.deleted_files.map((path): ChangedFile => ({ path, status: "removed" })),
  ];
}

async function diffLinesOf(
  git: DangerGitDSL,
  files: readonly string[],
): Promise<Map<string, Map<number, string>>> {
  const entries = await Promise.all(
    files.map(async (file) => {
      const diff = await git.structuredDiffForFile(file);
      return [file, headLinesOfDiff(diff?.chunks ?? [])] as const;
    }),
  );
  return new Map(entries);
}

/** Where Danger posts, decided once from its DSL, with links to the head commit's lines. */
function platformOf(globals: DangerGlobals): { platform: Platform; link: LineLink } {
  const mr = globals.danger.gitlab?.mr;
  if (globals.danger.gitlab !== undefined) {
    // `https://gitlab.example/group/linux/-/merge_requests/7` → the project's URL.
    const project = mr?.web_url?.replace(/\/-\/merge_requests\/\d+\/?$/, "");
    const sha = mr?.diff_refs?.head_sha ?? mr?.sha ?? globals.danger.git.head;
    return {
      platform: GITLAB,
      link: project === undefined || sha === undefined ? () => undefined : gitlabLineLink(project, sha),
    };
  }
  const pr = globals.danger.github?.pr;
  const url = pr?.base?.repo?.html_url;
  const sha = pr?.head?.sha ?? globals.danger.git.head;
  return {
    platform: GITHUB,
    link: url === undefined || sha === undefined ? () => undefined : githubLineLink(url, sha),
  };
}

/** Runs the review and returns what it posted (for dangerfiles that want to add to it). */
export async function msiOwnership(options: MsiOwnershipOptions = {}): Promise<ReviewPlan> {
  const settings = validateOptions(options);
  const globals = dangerGlobals();
  const git = globals.danger.git;
  const changed = changedFilesOf(git);

  let report: Report;
  let eraChange: string | undefined;
  if (options.report !== undefined) {
    report = await readReport(resolve(options.report), "report");
  } else {
    if (!git.base || !git.head) {
      throw new Error(
        "msiOwnership: Danger knows no pull request here (danger.git has no base and head): run it on pull_request events, or pass the action's report",
      );
    }
    // Loaded only here: a dangerfile that reads the action's report never starts the parser.
    const { checkChange } = await import("../diff/check.js");
    const result = await checkChange({
      root: resolve(options.root ?? "."),
      base: git.base,
      head: git.head,
      changedFiles: changed,
    });
    report = result.report;
    eraChange = result.eraChange;
  }
  let treeWide: Record<Status, number> | undefined;
  if (options.fullReport !== undefined) {
    treeWide = countByStatus(await readReport(resolve(options.fullReport), "fullReport"));
  } else if (isFullAudit(report)) {
    treeWide = countByStatus(report);
  }

  // Removed files have no head lines to comment on.
  const commentable = [...git.created_files, ...git.modified_files];
  const plan = planReview({
    report,
    changedFiles: new Set(changed.map((file) => file.path)),
    diffLines: settings.inline ? await diffLinesOf(git, relevantFiles(report, commentable)) : new Map(),
    ...platformOf(globals),
    treeWide,
    options: settings,
    eraChange,
  });
  for (const violation of plan.violations) {
    const post = violation.kind === "fail" ? globals.fail : globals.warn;
    if (violation.file !== undefined && violation.line !== undefined)
      post(violation.message, violation.file, violation.line);
    else post(violation.message);
  }
  if (plan.markdown !== undefined) globals.markdown(plan.markdown);
  return plan;
}

/** The changed files that carry a finding: the only diffs worth fetching. */
function relevantFiles(report: Report, files: readonly string[]): string[] {
  const withFindings = new Set(
    report.drivers.flatMap((driver) => driver.findings.map((finding) => finding.file)),
  );
  return files.filter((file) => withFindings.has(file));
}

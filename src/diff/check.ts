/**
 * PR mode on a local git checkout: what a change introduces. The modules the change touches are
 * analysed whole at the base (read from git) and at the head (a revision, or the working tree),
 * and a head finding is *new* when its fingerprint is absent at the base. Used by the action,
 * the CLI `check` command and the Danger plugin.
 */
import { summarize } from "../report/summary.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { analyze, type AnalyzeOptions } from "../analyze.js";
import { REPORT_SCHEMA, type Finding, type Report } from "../report/types.js";
import { FsSource, InputError, type TreeSource } from "../scan/source.js";
import { BatchedGitSource } from "./git-batch.js";
import { eraChange as eraChangeText } from "../era/meaning.js";
import { readEra } from "../era/read.js";
import { TOOL_NAME, TOOL_VERSION } from "../version.js";

const execFileAsync = promisify(execFile);

export type ChangeStatus = "added" | "modified" | "removed" | "renamed";

export interface ChangedFile {
  /** The path at the head (for a removed file, the path it had). */
  path: string;
  status: ChangeStatus;
  /** Renamed files: the path at the base. */
  previousPath?: string;
}

export interface CheckOptions {
  /** The git checkout. */
  root: string;
  /** The revision the change is compared to (a sha, a branch, a tag). */
  base: string;
  /** The revision of the change; absent: the working tree. */
  head?: string;
  /** The changed files when the caller knows them (the PR's file list); default: git diff. */
  changedFiles?: readonly ChangedFile[];
  paths?: string[];
  jobs?: number;
  cache?: string | false;
  onProgress?: AnalyzeOptions["onProgress"];
}

export interface CheckResult {
  /** The head analysis of the touched modules, each finding marked `new: true|false`. */
  report: Report;
  /** The base analysis of the same modules. */
  baseReport: Report;
  changedFiles: ChangedFile[];
  /** The commit the base analysis read (the merge base of base and head when git knows it). */
  baseCommit: string;
  /** The head commit, or undefined for the working tree. */
  headCommit: string | undefined;
  /** Base findings the change removed (fingerprint absent at the head). */
  resolved: Finding[];
  /** Set when the change moves the tree to another era: what that does, in a sentence. */
  eraChange?: string;
}

async function git(root: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync("git", ["-C", root, ...args], { maxBuffer: 1 << 28 });
  return stdout;
}

async function tryGit(root: string, args: string[]): Promise<string | undefined> {
  try {
    return await git(root, args);
  } catch {
    return undefined;
  }
}

async function resolveCommit(root: string, revision: string): Promise<string | undefined> {
  const out = await tryGit(root, ["rev-parse", "--verify", "--quiet", `${revision}^{commit}`]);
  return out?.trim() || undefined;
}

/**
 * The commit a revision names, fetched from `origin` with depth 1 when the checkout lacks it
 * (actions/checkout clones one commit; the PR's base is usually not in it).
 */
export async function ensureCommit(root: string, revision: string, what: string): Promise<string> {
  // git would read a leading dash as an option (`--upload-pack=...` runs a command on fetch).
  if (revision === "" || revision.startsWith("-") || /[\s\0]/.test(revision)) {
    throw new InputError(`${what} '${revision}': not a revision name`);
  }
  const local = await resolveCommit(root, revision);
  if (local !== undefined) return local;
  const fetched = await tryGit(root, ["fetch", "--no-tags", "--depth=1", "origin", revision]);
  if (fetched !== undefined) {
    const commit = (await resolveCommit(root, revision)) ?? (await resolveCommit(root, "FETCH_HEAD"));
    if (commit !== undefined) return commit;
  }
  throw new InputError(
    `${what} ${revision}: no such commit in ${root}, and 'git fetch --depth=1 origin ${revision}' could not get it`,
  );
}

/** Parses `git diff --name-status -M -z`. */
export function parseNameStatus(output: string): ChangedFile[] {
  const fields = output.split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length;) {
    const code = fields[i++] ?? "";
    if (code === "") continue;
    const kind = code[0];
    if (kind === "R" || kind === "C") {
      const from = fields[i++] ?? "";
      const to = fields[i++] ?? "";
      // A copy leaves the original in place: for the analysis it is an added file.
      files.push(
        kind === "R" ? { path: to, status: "renamed", previousPath: from } : { path: to, status: "added" },
      );
    } else {
      const path = fields[i++] ?? "";
      files.push({ path, status: kind === "A" ? "added" : kind === "D" ? "removed" : "modified" });
    }
  }
  return files;
}

/**
 * The files changed between the merge base of `base` and the head (`git diff base...head`), or
 * between `base` itself and the head when a shallow clone has no merge base.
 */
async function diffFiles(root: string, base: string, head: string | undefined): Promise<ChangedFile[]> {
  const common = ["diff", "--name-status", "-M", "-z", "--no-ext-diff"];
  if (head !== undefined) {
    const out =
      (await tryGit(root, [...common, `${base}...${head}`, "--"])) ??
      (await git(root, [...common, base, head, "--"]));
    return parseNameStatus(out);
  }
  const out =
    (await tryGit(root, [...common, "--merge-base", base, "--"])) ??
    (await git(root, [...common, base, "--"]));
  const files = parseNameStatus(out);
  // New files not yet added to the index are part of a working-tree change too.
  const untracked = await git(root, ["ls-files", "--others", "--exclude-standard", "-z"]);
  for (const path of untracked.split("\0")) {
    if (path !== "") files.push({ path, status: "added" });
  }
  return files;
}

/** Every path a change touches, on either side: the modules to analyse at base and at head. */
export function touchedPaths(files: readonly ChangedFile[]): string[] {
  const paths = new Set<string>();
  for (const file of files) {
    paths.add(file.path);
    if (file.previousPath !== undefined) paths.add(file.previousPath);
  }
  return [...paths].sort();
}

/**
 * What a finding claims, without where the lines are: rule, file, and the evidence chain's
 * files, functions and calls, with base paths mapped through the change's renames. Fingerprints
 * include the file's path, so a renamed file would otherwise make its old findings look new.
 */
function renameKey(finding: Finding, rename: (path: string) => string): string {
  const steps = finding.evidence.map((step) =>
    [rename(step.file), step.function, step.role, step.text].join("\u0001"),
  );
  return [finding.ruleId, rename(finding.file), ...steps].join("\u0000");
}

/**
 * Marks each head finding new when its fingerprint is absent at the base (and, for files the
 * change renamed, when no base finding makes the same claim at the old path); pure.
 */
export function markNew(
  head: Report,
  base: Report,
  changedFiles: readonly ChangedFile[] = [],
): { report: Report; resolved: Finding[] } {
  const renames = new Map<string, string>();
  for (const file of changedFiles) {
    if (file.status === "renamed" && file.previousPath !== undefined)
      renames.set(file.previousPath, file.path);
  }
  const toHead = (path: string): string => renames.get(path) ?? path;
  const same = (path: string): string => path;
  const baseFindings = base.drivers.flatMap((driver) => driver.findings);
  const headFindings = head.drivers.flatMap((driver) => driver.findings);
  const baseFingerprints = new Set(baseFindings.map((f) => f.fingerprint));
  const headFingerprints = new Set(headFindings.map((f) => f.fingerprint));
  const baseKeys =
    renames.size === 0 ? new Set<string>() : new Set(baseFindings.map((f) => renameKey(f, toHead)));
  const headKeys =
    renames.size === 0 ? new Set<string>() : new Set(headFindings.map((f) => renameKey(f, same)));
  const existedAtBase = (finding: Finding): boolean =>
    baseFingerprints.has(finding.fingerprint) || baseKeys.has(renameKey(finding, same));
  const report: Report = {
    ...head,
    drivers: head.drivers.map((driver) => ({
      ...driver,
      findings: driver.findings.map((finding) => ({ ...finding, new: !existedAtBase(finding) })),
    })),
  };
  const resolved = baseFindings.filter(
    (finding) => !headFingerprints.has(finding.fingerprint) && !headKeys.has(renameKey(finding, toHead)),
  );
  return { report, resolved };
}

/** Every finding of a report, new ones first, then by file and line. */
export function findingsOf(report: Report): Finding[] {
  const all = report.drivers.flatMap((driver) => driver.findings);
  return all.sort(
    (a, b) =>
      Number(b.new !== false) - Number(a.new !== false) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column,
  );
}

export async function checkChange(options: CheckOptions): Promise<CheckResult> {
  const { root } = options;
  if ((await tryGit(root, ["rev-parse", "--git-dir"])) === undefined) {
    throw new InputError(`${root}: not a git checkout`);
  }
  const baseRequested = await ensureCommit(root, options.base, "base revision");
  const headCommit =
    options.head === undefined ? undefined : await ensureCommit(root, options.head, "head revision");
  const changedFiles = options.changedFiles
    ? [...options.changedFiles]
    : await diffFiles(root, baseRequested, headCommit);
  // What the change introduced is measured from where it forked (as `git diff base...head`
  // and GitHub's PR file list do); a shallow clone without that history compares to base.
  const mergeBase = (await tryGit(root, ["merge-base", baseRequested, headCommit ?? "HEAD"]))?.trim();
  const baseCommit = mergeBase || baseRequested;

  const headGit = headCommit === undefined ? undefined : new BatchedGitSource(root, headCommit);
  const headSource: TreeSource = headGit ?? (await FsSource.open(root));
  const baseSource = new BatchedGitSource(root, baseCommit);
  // A change to the PCI/MSI core that moves the era changes what every driver's code means:
  // then every module under the paths is judged again, not only the touched ones.
  const [baseEra, headEra] = await Promise.all([readEra(baseSource), readEra(headSource)]);
  const eraChange = eraChangeText(
    { era: baseEra.era, eraDecidedBy: baseEra },
    { era: headEra.era, eraDecidedBy: headEra },
  );
  const onlyModulesOf = touchedPaths(changedFiles);
  const analyzeOptions: AnalyzeOptions = {
    ...(eraChange === undefined && { onlyModulesOf }),
    ...(options.paths !== undefined && { paths: options.paths }),
    ...(options.jobs !== undefined && { jobs: options.jobs }),
    ...(options.cache !== undefined && { cache: options.cache }),
    ...(options.onProgress !== undefined && { onProgress: options.onProgress }),
  };
  // A change that touches no file (an empty PR) has nothing to analyse on either side.
  if (onlyModulesOf.length === 0 && eraChange === undefined) {
    const empty = emptyReport(root);
    return { report: empty, baseReport: empty, changedFiles, baseCommit, headCommit, resolved: [] };
  }
  // One side after the other: each analysis already uses every core it is given.
  let headReport: Report;
  let baseReport: Report;
  try {
    headReport = await analyze(headSource, { ...analyzeOptions, era: headEra });
    baseReport = await analyze(baseSource, { ...analyzeOptions, era: baseEra });
  } finally {
    headGit?.close();
    baseSource.close();
  }
  const { report, resolved } = markNew(headReport, baseReport, changedFiles);
  return {
    report,
    baseReport,
    changedFiles,
    baseCommit,
    headCommit,
    resolved,
    ...(eraChange !== undefined && { eraChange }),
  };
}

function emptyReport(root: string): Report {
  const summary = summarize([]);
  return {
    schema: REPORT_SCHEMA,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    tree: { root, kernelVersion: null, pcimAllocIrqVectors: false },
    drivers: [],
    summary,
    stats: { filesScanned: 0, filesParsed: 0, durationMs: 0 },
  };
}

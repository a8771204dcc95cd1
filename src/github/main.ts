/**
 * The action's main flow. PR mode: the PR's changed files, the touched modules analysed at base
 * and head, annotations (check run, or workflow commands when the token is read-only), the job
 * summary, the report files and outputs, and the exit status by `fail-on`. Audit mode: the
 * whole `paths` audited, the report files and the summary. Inputs come from inputs.ts only.
 */
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile, realpath, unlink, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as core from "@actions/core";
import { analyze } from "../analyze.js";
import { isBlocking } from "../commands/shared.js";
import { checkChange, findingsOf, type ChangedFile } from "../diff/check.js";
import { applyBaseline, readBaseline } from "../report/baseline.js";
import { parseMaintainers, type Maintainers } from "../report/maintainers.js";
import { toMarkdown } from "../report/markdown.js";
import { toSarif } from "../report/sarif.js";
import { NEEDS_CONVERSION, REPORT_SCHEMA, type Finding, type Report } from "../report/types.js";
import { FsSource, InputError } from "../scan/source.js";
import { restoreFactsCache, saveFactsCache } from "./facts-cache.js";
import { toCheckAnnotation, toCommandAnnotation } from "./annotations.js";
import {
  createOctokit,
  DEFAULT_API_POLICY,
  finishCheckRun,
  listChangedFiles,
  startCheckRun,
  type ApiPolicy,
  type Octokit,
} from "./checks.js";
import { updateTrackingIssue } from "./tracking.js";
import { ActionInputError, readActionOptions, type ActionOptions, type PullRequestTarget } from "./inputs.js";
import { prSummaryMarkdown, truncateForCheckRun, type RepositoryLink } from "./summary.js";

/** The action's own directory (where action.yml is), from the bundle or from the sources. */
function actionDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    if (existsSync(join(dir, "action.yml"))) return dir;
    dir = dirname(dir);
  }
  // dist/index.js sits one level below the action's root.
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

/** The job summary; a run outside Actions (no GITHUB_STEP_SUMMARY) only logs that it has none. */
async function writeJobSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (error) {
    core.warning(`msi-ownership: no job summary written: ${(error as Error).message}`);
  }
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Writes a report file. The checkout is a stranger's: a link it holds where the report goes
 * (`msi-ownership.json -> ~/.bashrc`) is replaced, never written through, and a path inside the
 * workspace whose folder links out of it is refused.
 */
async function writeJson(path: string, value: unknown, input: string, workspace: string): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const realWorkspace = await realpath(workspace).catch(() => workspace);
  if (isWithin(workspace, path) && !isWithin(realWorkspace, await realpath(folder))) {
    throw new ActionInputError(`input '${input}': ${path} is in a folder that links out of the workspace`);
  }
  if ((await lstat(path).catch(() => undefined))?.isSymbolicLink() === true) await unlink(path);
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Writes the JSON report and, when asked for, the SARIF file; returns the SARIF path. */
async function writeReports(report: Report, options: ActionOptions): Promise<string | undefined> {
  await writeJson(options.reportPath, report, "report", options.workspace);
  core.info(`msi-ownership: JSON report written to ${options.reportPath}`);
  if (options.sarifPath === undefined) return undefined;
  await writeJson(options.sarifPath, toSarif(report), "sarif", options.workspace);
  core.info(`msi-ownership: SARIF written to ${options.sarifPath}`);
  return options.sarifPath;
}

function setOutputs(
  report: Report,
  findings: readonly Finding[],
  options: ActionOptions,
  sarif: string | undefined,
): void {
  core.setOutput("findings", findings.length);
  core.setOutput("new-findings", findings.filter((finding) => finding.new !== false).length);
  core.setOutput(
    "needs-conversion",
    report.drivers.filter((driver) => NEEDS_CONVERSION.includes(driver.status)).length,
  );
  core.setOutput("report", options.reportPath);
  core.setOutput("sarif", sarif ?? "");
  core.setOutput("dangerfile", join(actionDirectory(), "dangerfile.ts"));
}

/** Where annotations go, decided before the analysis so the check run shows it in progress. */
type AnnotationSink =
  | { kind: "check-run"; octokit: Octokit; id: number }
  | { kind: "workflow-commands"; note: string | undefined }
  | { kind: "none" };

async function openAnnotationSink(
  options: ActionOptions,
  octokit: Octokit | undefined,
  headSha: string,
): Promise<AnnotationSink> {
  if (options.annotations === "none") return { kind: "none" };
  if (options.annotations === "workflow-commands") return { kind: "workflow-commands", note: undefined };
  if (octokit === undefined) {
    if (options.annotations === "check-run") {
      throw new ActionInputError("input 'annotations': check-run needs a token (input 'token' is empty)");
    }
    const note =
      "No token: annotations are workflow commands (GitHub shows at most 10 of each kind per step).";
    core.warning(note);
    return { kind: "workflow-commands", note };
  }
  const started = await startCheckRun(octokit, options.repository, headSha, options.runUrl);
  if (started.id !== undefined) {
    core.info(`msi-ownership: check run ${started.id} created on ${headSha}`);
    return { kind: "check-run", octokit, id: started.id };
  }
  const denied = started.status === 403 || started.status === 404;
  const reason = denied
    ? `The token may not create check runs (HTTP ${started.status}: ${started.message}); ` +
      "pull requests from forks get a read-only token."
    : `The check run could not be created (${started.status === 0 ? "no answer" : `HTTP ${started.status}`}: ${started.message}).`;
  // A permission the workflow asked for and lacks is its configuration; an API outage is not.
  if (options.annotations === "check-run" && denied) {
    throw new ActionInputError(
      `input 'annotations': check-run failed. ${reason} Grant 'checks: write', or use 'auto'.`,
    );
  }
  const note = `${reason} Annotations are workflow commands instead (GitHub shows at most 10 of each kind per step); see the README for the fork-safe workflow_run pattern.`;
  core.warning(note);
  return { kind: "workflow-commands", note };
}

function commandAnnotations(findings: readonly Finding[]): void {
  for (const annotation of findings.map(toCommandAnnotation)) {
    core[annotation.level](annotation.message, annotation.properties);
  }
}

/**
 * Publishes the annotations; returns a note for the summary when the check run could not be
 * completed (the API failed after its retries) and workflow commands carried them instead.
 */
async function publishAnnotations(
  sink: AnnotationSink,
  findings: readonly Finding[],
  options: ActionOptions,
  title: string,
  summary: string,
  blocking: boolean,
): Promise<string | undefined> {
  if (sink.kind === "none") return undefined;
  if (sink.kind === "workflow-commands") {
    commandAnnotations(findings);
    return undefined;
  }
  try {
    const requests = await finishCheckRun(sink.octokit, options.repository, sink.id, {
      conclusion: blocking ? "failure" : "success",
      title,
      summary: truncateForCheckRun(summary),
      annotations: findings.map(toCheckAnnotation),
    });
    core.info(
      `msi-ownership: check run ${sink.id} completed with ${findings.length} annotation(s) in ${requests} request(s)`,
    );
    return undefined;
  } catch (error) {
    const note = `Check run ${sink.id} could not be completed (${(error as Error).message}); annotations are workflow commands instead, and the check run may stay in progress.`;
    core.warning(`msi-ownership: ${note}`);
    commandAnnotations(findings);
    return note;
  }
}

/** The changed files: from the API, or from git when the API cannot list them all. */
async function changedFilesOf(
  octokit: Octokit | undefined,
  options: ActionOptions,
  number: number,
): Promise<ChangedFile[] | undefined> {
  if (octokit === undefined) return undefined;
  const listed = await listChangedFiles(octokit, options.repository, number);
  if (listed.files === undefined) {
    core.warning(`msi-ownership: ${listed.reason}; using git diff of base...head instead`);
    return undefined;
  }
  core.info(`msi-ownership: ${listed.files.length} changed file(s) in pull request #${number}`);
  return listed.files;
}

/** The report of a previous pull_request run (the fork-safe pattern), checked before use. */
async function readPublishedReport(path: string): Promise<Report> {
  let report: Report;
  try {
    report = JSON.parse(await readFile(path, "utf8")) as Report;
  } catch (error) {
    throw new ActionInputError(
      `input 'report': cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        "on workflow_run, download the report artifact of the pull_request run there first",
    );
  }
  if (report.schema !== REPORT_SCHEMA || !Array.isArray(report.drivers)) {
    throw new ActionInputError(`input 'report': ${path} is not an ${REPORT_SCHEMA} report`);
  }
  return report;
}

async function runPullRequest(
  options: ActionOptions,
  target: PullRequestTarget,
  octokit: Octokit | undefined,
): Promise<void> {
  const headSha = target.headSha;
  const link: RepositoryLink = { serverUrl: options.serverUrl, ...options.repository, sha: headSha };
  const sink = await openAnnotationSink(options, octokit, headSha);
  try {
    let report: Report;
    let resolved: Finding[] = [];
    let changedFiles: number | undefined;
    let baseCommit: string | undefined;
    let eraChange: string | undefined;
    if (target.kind === "workflow_run") {
      // Publishing only: the analysis ran in the pull_request run, with the fork's code.
      report = await readPublishedReport(options.reportPath);
      core.info(`msi-ownership: publishing ${options.reportPath} for ${headSha}`);
    } else {
      if (!existsSync(join(options.workspace, ".git"))) {
        throw new ActionInputError(
          `the workspace ${options.workspace} is not a git checkout: run actions/checkout before this step (PR mode reads the base from git)`,
        );
      }
      const files = await changedFilesOf(octokit, options, target.number);
      const started = performance.now();
      const result = await checkChange({
        root: options.workspace,
        base: target.baseSha,
        ...(files !== undefined && { changedFiles: files }),
        paths: options.paths,
      });
      core.info(
        `msi-ownership: ${result.report.drivers.length} touched module(s) analysed at ${result.baseCommit.slice(0, 12)} and in the workspace in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      report = await withBaseline(result.report, options);
      resolved = result.resolved;
      changedFiles = result.changedFiles.length;
      baseCommit = result.baseCommit;
      eraChange = result.eraChange;
      if (eraChange !== undefined) core.info(`msi-ownership: ${eraChange}`);
      for (const warning of report.warnings ?? []) core.warning(`msi-ownership: ${warning}`);
    }
    const findings = findingsOf(report);
    const fresh = findings.filter((finding) => finding.new !== false).length;
    const blocking = isBlocking(findings, options.failOn);
    const sarif = target.kind === "workflow_run" ? undefined : await writeReports(report, options);

    const notes = sink.kind === "workflow-commands" && sink.note !== undefined ? [sink.note] : [];
    const summaryOf = (): string =>
      prSummaryMarkdown({
        report,
        resolved,
        changedFiles,
        baseCommit,
        link,
        failOn: options.failOn,
        blocking,
        notes,
        eraChange,
      });
    const summary = summaryOf();
    const title = `${fresh} new finding${fresh === 1 ? "" : "s"}, ${findings.length} in the touched modules`;
    // Annotations mark what the author has to look at: what the change introduced, and what
    // blocks under the policy; the summary lists the rest.
    const annotated = findings.filter(
      (finding) => finding.new !== false || isBlocking([finding], options.failOn),
    );
    const publishNote = await publishAnnotations(sink, annotated, options, title, summary, blocking);
    if (publishNote !== undefined) notes.push(publishNote);
    await writeJobSummary(publishNote === undefined ? summary : summaryOf());
    setOutputs(report, findings, options, sarif);
    core.info(`msi-ownership: ${title}`);
    if (blocking) core.setFailed(`msi-ownership: blocking findings (fail-on: ${options.failOn}): ${title}`);
  } catch (error) {
    // A check run left in progress would block a required check forever.
    if (sink.kind === "check-run") {
      await finishCheckRun(sink.octokit, options.repository, sink.id, {
        conclusion: "failure",
        title: "msi-ownership could not analyse the change",
        summary: (error as Error).message,
        annotations: [],
      }).catch((closeError: unknown) =>
        core.warning(`msi-ownership: could not close the check run: ${String(closeError)}`),
      );
    }
    throw error;
  }
}

/** The accepted findings of the `baseline` input, dropped from a report. */
async function withBaseline(report: Report, options: ActionOptions): Promise<Report> {
  if (options.baselinePath === undefined) return report;
  let baseline;
  try {
    baseline = await readBaseline(options.baselinePath);
  } catch (error) {
    throw new ActionInputError(`input 'baseline': ${(error as Error).message.replace(/^--baseline /, "")}`);
  }
  const filtered = applyBaseline(report, baseline);
  core.info(
    `msi-ownership: ${filtered.stats.baselined ?? 0} finding(s) accepted by the baseline ${options.baselinePath}`,
  );
  return filtered;
}

/**
 * The tree's MAINTAINERS, when the workspace has one: the summary groups drivers by it. Read
 * through the tree source, which never follows a link out of the workspace.
 */
async function readMaintainers(source: FsSource): Promise<Maintainers | undefined> {
  const data = await source.read("MAINTAINERS").catch(() => undefined);
  return data === undefined ? undefined : parseMaintainers(data.toString("utf8"));
}

async function runAudit(options: ActionOptions, octokit: Octokit | undefined): Promise<void> {
  const source = await FsSource.open(options.workspace);
  await restoreFactsCache(options.factsCacheDir);
  const analysed = await analyze(source, { paths: options.paths, cache: options.factsCacheDir });
  await saveFactsCache(options.factsCacheDir, options.runId);
  const report = await withBaseline(analysed, options);
  for (const warning of report.warnings ?? []) core.warning(`msi-ownership: ${warning}`);
  const findings = findingsOf(report);
  const sarif = await writeReports(report, options);
  const maintainers = await readMaintainers(source);
  const linkBase = `${options.serverUrl}/${options.repository.owner}/${options.repository.repo}/blob/${options.sha}`;
  const markdownOptions = { linkBase, ...(maintainers !== undefined && { maintainers }) };
  await writeJobSummary(toMarkdown(report, markdownOptions));
  if (options.trackingIssue !== undefined) {
    if (octokit === undefined)
      throw new ActionInputError("input 'tracking-issue': needs a token (input 'token' is empty)");
    await trackIssue(octokit, options, report, markdownOptions);
  }
  setOutputs(report, findings, options, sarif);
  const blocking = isBlocking(findings, options.failOn);
  core.info(`msi-ownership: ${findings.length} finding(s) in ${report.drivers.length} module(s)`);
  if (blocking) core.setFailed(`msi-ownership: blocking findings (fail-on: ${options.failOn})`);
}

/** The tracking issue; an API that fails after its retries costs the issue, not the run. */
async function trackIssue(
  octokit: Octokit,
  options: ActionOptions,
  report: Report,
  markdownOptions: { linkBase: string; maintainers?: Maintainers },
): Promise<void> {
  if (options.trackingIssue === undefined) return;
  try {
    const issue = await updateTrackingIssue(octokit, {
      ...options.repository,
      ...markdownOptions,
      title: options.trackingIssue,
      report,
      ...(options.runUrl !== undefined && { footer: `Updated by [this run](${options.runUrl}).` }),
    });
    core.info(
      `msi-ownership: tracking issue #${issue.number} ${issue.action} (${issue.url}); trend from: ${issue.previous}`,
    );
    if (issue.duplicates.length > 0) {
      core.warning(
        `msi-ownership: other open tracking issues carry the marker and were left alone: #${issue.duplicates.join(", #")}`,
      );
    }
  } catch (error) {
    core.warning(`msi-ownership: the tracking issue was not updated: ${(error as Error).message}`);
  }
}

/** `apiPolicy`: how long to wait for and retry the API (tests shorten it). */
export async function run(apiPolicy: ApiPolicy = DEFAULT_API_POLICY): Promise<void> {
  try {
    const options = readActionOptions();
    const octokit =
      options.token === ""
        ? undefined
        : createOctokit(options.token, options.apiUrl, { info: core.info, warning: core.warning }, apiPolicy);
    if (options.mode === "pr") {
      // readActionOptions guarantees a target in PR mode.
      await runPullRequest(options, options.pullRequest as PullRequestTarget, octokit);
    } else {
      await runAudit(options, octokit);
    }
  } catch (error) {
    const known = error instanceof ActionInputError || error instanceof InputError;
    core.setFailed(
      known
        ? `msi-ownership: ${(error as Error).message}`
        : `msi-ownership: internal error: ${(error as Error).stack ?? String(error)}`,
    );
  }
}

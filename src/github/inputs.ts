/**
 * The action's inputs and the run's context, read and validated in one place. Everything below
 * this module receives an `ActionOptions` and never reads `process.env` or `core.getInput`.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import * as core from "@actions/core";
import { FAIL_ON, type FailOn } from "../commands/shared.js";
import { parseBaseline } from "../report/baseline.js";
import { toPosix } from "../scan/source.js";

export const MODES = ["auto", "pr", "audit"] as const;
export const ANNOTATIONS = ["auto", "check-run", "workflow-commands", "none"] as const;
export type Mode = "pr" | "audit";
export type AnnotationsMode = (typeof ANNOTATIONS)[number];

/** A bad input or context: the message names the input and what it allows. */
export class ActionInputError extends Error {}

/** The pull request the run is about. */
export type PullRequestTarget =
  /** A `pull_request` run: analyse the workspace against the PR's base. */
  | { kind: "pull_request"; number: number; headSha: string; baseSha: string; baseRef: string }
  /**
   * A `workflow_run` run triggered by a `pull_request` run (the fork-safe pattern): publish the
   * report that run produced, on its head commit, with this run's write token.
   */
  | { kind: "workflow_run"; headSha: string; number: number | undefined; runId: number | undefined };

export interface ActionOptions {
  mode: Mode;
  /** Directories under the workspace, relative with `/`. */
  paths: string[];
  failOn: FailOn;
  token: string;
  annotations: AnnotationsMode;
  /** Absolute paths. */
  reportPath: string;
  /** Undefined when the `sarif` input is empty (no SARIF file). */
  sarifPath: string | undefined;
  baselinePath: string | undefined;
  /** Audit mode: the tracking issue's title; undefined = off. */
  trackingIssue: string | undefined;
  workspace: string;
  repository: { owner: string; repo: string };
  eventName: string;
  /** The commit the run is for (GITHUB_SHA: on pull_request, the test merge commit). */
  sha: string;
  pullRequest: PullRequestTarget | undefined;
  apiUrl: string;
  serverUrl: string;
  /** The workflow run's page, linked from the check run. */
  runUrl: string | undefined;
  /** Where the facts cache lives during the run; @actions/cache keeps it across runs. */
  factsCacheDir: string;
  /** GITHUB_RUN_ID, which names the cache entry a run saves. */
  runId: string;
}

function oneOf<T extends string>(input: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ActionInputError(`input '${input}': unknown value '${value}' (allowed: ${allowed.join(", ")})`);
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The real path of `path`, or of its nearest existing ancestor (what a link there leads to). */
function realExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return realpathSync(current);
}

/**
 * `paths`: separated by whitespace or commas; each must stay inside the workspace, also after
 * links (the checkout may hold `drivers -> /`).
 */
export function parsePaths(value: string, workspace: string): string[] {
  const items = value.split(/[\s,]+/).filter((item) => item !== "");
  if (items.length === 0) return ["drivers"];
  const realWorkspace = existsSync(workspace) ? realpathSync(workspace) : workspace;
  return items.map((item) => {
    const absolute = resolve(workspace, item);
    if (!isWithin(workspace, absolute)) {
      throw new ActionInputError(`input 'paths': '${item}' is outside the workspace ${workspace}`);
    }
    if (existsSync(workspace) && !isWithin(realWorkspace, realExisting(absolute))) {
      throw new ActionInputError(`input 'paths': '${item}' links out of the workspace ${workspace}`);
    }
    const rel = relative(workspace, absolute);
    return rel === "" ? "." : toPosix(rel);
  });
}

/** A report file inside the workspace must not land outside it through a linked folder. */
function checkOutputPath(input: string, path: string, workspace: string): string {
  if (existsSync(workspace) && isWithin(workspace, path)) {
    if (!isWithin(realpathSync(workspace), realExisting(dirname(path)))) {
      throw new ActionInputError(`input '${input}': ${path} is in a folder that links out of the workspace`);
    }
  }
  return path;
}

/** The baseline is read now, so a missing or malformed one fails before a long analysis. */
function checkBaseline(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ActionInputError(`input 'baseline': cannot read ${path} (${reason})`);
  }
  try {
    parseBaseline(text, path);
  } catch (error) {
    throw new ActionInputError(`input 'baseline': ${(error as Error).message.replace(/^--baseline /, "")}`);
  }
}

interface Payload {
  pull_request?: { number?: number; head?: { sha?: string }; base?: { sha?: string; ref?: string } };
  workflow_run?: {
    id?: number;
    event?: string;
    head_sha?: string;
    pull_requests?: { number?: number }[];
  };
}

function readPayload(path: string | undefined): Payload {
  if (path === undefined || path === "") return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Payload;
  } catch (error) {
    throw new ActionInputError(
      `GITHUB_EVENT_PATH ${path}: cannot read the event payload (${(error as Error).message})`,
    );
  }
}

function pullRequestOf(eventName: string, payload: Payload): PullRequestTarget | undefined {
  const pr = payload.pull_request;
  if (pr !== undefined) {
    const { number } = pr;
    const headSha = pr.head?.sha;
    const baseSha = pr.base?.sha;
    if (number === undefined || headSha === undefined || baseSha === undefined) {
      throw new ActionInputError(
        `the ${eventName} event payload lacks pull_request.number, head.sha or base.sha`,
      );
    }
    return { kind: "pull_request", number, headSha, baseSha, baseRef: pr.base?.ref ?? "" };
  }
  const run = payload.workflow_run;
  if (eventName === "workflow_run" && run?.event?.startsWith("pull_request") && run.head_sha !== undefined) {
    return {
      kind: "workflow_run",
      headSha: run.head_sha,
      number: run.pull_requests?.[0]?.number,
      runId: run.id,
    };
  }
  return undefined;
}

/** Reads every input and the run's context; throws ActionInputError naming the bad one. */
export function readActionOptions(env: NodeJS.ProcessEnv = process.env): ActionOptions {
  const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const eventName = env.GITHUB_EVENT_NAME ?? "";
  const payload = readPayload(env.GITHUB_EVENT_PATH);
  const pullRequest = pullRequestOf(eventName, payload);

  const requestedMode = oneOf("mode", core.getInput("mode") || "auto", MODES);
  let mode: Mode;
  if (requestedMode === "auto") mode = pullRequest === undefined ? "audit" : "pr";
  else mode = requestedMode;
  if (mode === "pr" && pullRequest === undefined) {
    throw new ActionInputError(
      `input 'mode': pr needs a pull_request event (or a workflow_run triggered by one); this run is '${eventName || "unknown"}'`,
    );
  }

  // Audit runs (schedule, push) report the state of the tree: by default they never fail.
  const failOnInput = core.getInput("fail-on");
  const failOn =
    failOnInput === "" ? (mode === "pr" ? "new" : "never") : oneOf("fail-on", failOnInput, FAIL_ON);
  const annotations = oneOf("annotations", core.getInput("annotations") || "auto", ANNOTATIONS);

  const token = core.getInput("token");
  if (token !== "") core.setSecret(token);

  const repositoryName = env.GITHUB_REPOSITORY ?? "";
  const [owner, repo, ...rest] = repositoryName.split("/");
  if (owner === undefined || owner === "" || repo === undefined || repo === "" || rest.length > 0) {
    throw new ActionInputError(`GITHUB_REPOSITORY '${repositoryName}' is not 'owner/repo'`);
  }

  const inWorkspace = (path: string): string => resolve(workspace, path);
  const sarif = core.getInput("sarif");
  const baseline = core.getInput("baseline");
  const trackingIssue = core.getInput("tracking-issue");
  const serverUrl = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  if (baseline !== "") checkBaseline(inWorkspace(baseline));
  if (trackingIssue !== "" && mode === "audit" && token === "") {
    throw new ActionInputError("input 'tracking-issue': needs a token (input 'token' is empty)");
  }
  const runUrl =
    env.GITHUB_RUN_ID !== undefined && env.GITHUB_RUN_ID !== ""
      ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;

  return {
    mode,
    paths: parsePaths(core.getInput("paths"), workspace),
    failOn,
    token,
    annotations,
    reportPath: checkOutputPath(
      "report",
      inWorkspace(core.getInput("report") || "msi-ownership.json"),
      workspace,
    ),
    sarifPath: sarif === "" ? undefined : checkOutputPath("sarif", inWorkspace(sarif), workspace),
    baselinePath: baseline === "" ? undefined : inWorkspace(baseline),
    trackingIssue: trackingIssue === "" ? undefined : trackingIssue,
    workspace,
    repository: { owner, repo },
    eventName,
    sha: env.GITHUB_SHA ?? "",
    pullRequest,
    apiUrl: (env.GITHUB_API_URL || "https://api.github.com").replace(/\/+$/, ""),
    serverUrl,
    runUrl,
    factsCacheDir: join(env.RUNNER_TEMP || tmpdir(), "msi-ownership-facts"),
    runId: env.GITHUB_RUN_ID || "local",
  };
}

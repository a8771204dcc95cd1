/**
 * The GitHub API edge: the octokit client, the PR's changed files and the check run. Every
 * request is awaited, one after the other (the throttling plugin spaces the writes).
 */
import { getOctokit } from "@actions/github";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import type { ChangedFile, ChangeStatus } from "../diff/check.js";
import { batches, type CheckAnnotation } from "./annotations.js";

export type Octokit = ReturnType<typeof getOctokit>;

export const CHECK_RUN_NAME = "msi-ownership";

/** GitHub's pulls.listFiles stops at 3000 files: a longer list is incomplete. */
export const LIST_FILES_LIMIT = 3000;

export interface Log {
  info(message: string): void;
  warning(message: string): void;
}

/** How the client waits for and retries a failing API. */
export interface ApiPolicy {
  /** One HTTP attempt's limit; a request that hangs longer is retried like a 5xx. */
  timeoutMs: number;
  /** Retries of 5xx answers and timeouts, after retryBaseMs × 1, 4, 9... */
  retries: number;
  retryBaseMs: number;
  /** The length of one second of a `retry-after` answer (tests shorten it). */
  retryAfterUnitMs: number;
  /** A rate limit that asks for a longer wait than this (seconds) fails instead of stalling the job. */
  maxRateLimitWaitS: number;
}

export const DEFAULT_API_POLICY: ApiPolicy = {
  timeoutMs: 30_000,
  retries: 3,
  retryBaseMs: 1000,
  retryAfterUnitMs: 1000,
  maxRateLimitWaitS: 300,
};

/** fetch with a time limit per attempt: the retry plugin sees a timeout as a 500 and retries. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

export function createOctokit(
  token: string,
  apiUrl: string,
  log: Log,
  policy: ApiPolicy = DEFAULT_API_POLICY,
): Octokit {
  return getOctokit(
    token,
    {
      baseUrl: apiUrl,
      request: { fetch: fetchWithTimeout(policy.timeoutMs) },
      retry: { retries: policy.retries, retryAfterBaseValue: policy.retryBaseMs },
      throttle: {
        retryAfterBaseValue: policy.retryAfterUnitMs,
        onRateLimit: rateLimitHandler("rate limit", "resets in", policy, log),
        onSecondaryRateLimit: rateLimitHandler("secondary rate limit", "asks for", policy, log),
      },
    },
    retry,
    throttling,
  );
}

/** Waits out a rate limit (at most twice) when GitHub asks for no more than the policy allows. */
function rateLimitHandler(kind: string, asks: string, policy: ApiPolicy, log: Log) {
  return (
    retryAfter: number,
    options: { method: string; url: string },
    _octokit: unknown,
    retryCount: number,
  ): boolean => {
    if (retryAfter > policy.maxRateLimitWaitS) {
      log.warning(
        `GitHub API ${kind} on ${options.method} ${options.url}; ${asks} ${retryAfter}s, not waiting`,
      );
      return false;
    }
    log.warning(`GitHub API ${kind} on ${options.method} ${options.url}; retrying in ${retryAfter}s`);
    return retryCount < 2;
  };
}

export interface Repository {
  owner: string;
  repo: string;
}

function statusOf(status: string): ChangeStatus {
  switch (status) {
    case "added":
    case "copied":
      return "added";
    case "removed":
      return "removed";
    case "renamed":
      return "renamed";
    default:
      return "modified";
  }
}

/**
 * The PR's changed files, or undefined with the reason when the API cannot give the whole list
 * (an error, or more files than it lists): the caller then diffs with git.
 */
export async function listChangedFiles(
  octokit: Octokit,
  repository: Repository,
  pullNumber: number,
): Promise<{ files: ChangedFile[] } | { files: undefined; reason: string }> {
  let listed;
  try {
    listed = await octokit.paginate(octokit.rest.pulls.listFiles, {
      ...repository,
      pull_number: pullNumber,
      per_page: 100,
    });
  } catch (error) {
    return { files: undefined, reason: `pulls.listFiles failed: ${(error as Error).message}` };
  }
  if (listed.length >= LIST_FILES_LIMIT) {
    return {
      files: undefined,
      reason: `the pull request has ${LIST_FILES_LIMIT} files or more, more than the API lists`,
    };
  }
  return {
    files: listed.map((file) => ({
      path: file.filename,
      status: statusOf(file.status),
      ...(file.status === "renamed" &&
        file.previous_filename !== undefined && { previousPath: file.previous_filename }),
    })),
  };
}

function statusCode(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/**
 * Creates the in-progress check run on the head commit. Returns no id when the token may not
 * write checks (403/404: read-only tokens of pull requests from forks, or no `checks: write`),
 * or when the API still fails after the retries (status 0 for a timeout or network error): the
 * caller falls back to workflow commands rather than lose the run's results.
 */
export async function startCheckRun(
  octokit: Octokit,
  repository: Repository,
  headSha: string,
  detailsUrl: string | undefined,
): Promise<{ id: number } | { id: undefined; status: number; message: string }> {
  try {
    const { data } = await octokit.rest.checks.create({
      ...repository,
      name: CHECK_RUN_NAME,
      head_sha: headSha,
      status: "in_progress",
      started_at: new Date().toISOString(),
      ...(detailsUrl !== undefined && { details_url: detailsUrl }),
    });
    return { id: data.id };
  } catch (error) {
    return { id: undefined, status: statusCode(error) ?? 0, message: (error as Error).message };
  }
}

export interface CheckRunResult {
  conclusion: "success" | "failure" | "neutral";
  title: string;
  summary: string;
  annotations: readonly CheckAnnotation[];
}

/**
 * Completes the check run: the annotations go in batches of 50 (the API's limit per request),
 * each an update that appends to the previous ones; the last one sets the conclusion.
 * Returns the number of requests made.
 */
export async function finishCheckRun(
  octokit: Octokit,
  repository: Repository,
  checkRunId: number,
  result: CheckRunResult,
): Promise<number> {
  const chunks = batches(result.annotations);
  if (chunks.length === 0) chunks.push([]);
  let requests = 0;
  for (const [index, chunk] of chunks.entries()) {
    const last = index === chunks.length - 1;
    await octokit.rest.checks.update({
      ...repository,
      check_run_id: checkRunId,
      output: { title: result.title, summary: result.summary, annotations: chunk },
      ...(last && {
        status: "completed",
        conclusion: result.conclusion,
        completed_at: new Date().toISOString(),
      }),
    });
    requests++;
  }
  return requests;
}

/**
 * GitHub API faults against the local stand-in: 500s and hanging requests are retried with
 * backoff, a secondary rate limit is waited out, a 403 on check runs falls back to workflow
 * commands, a 404 on the PR's files falls back to git. Whatever the API does, the job summary
 * and the report files are written, the exit status follows the findings and `fail-on`, and the
 * token appears in no output. Retry delays are shortened through the ApiPolicy that run() takes;
 * the production defaults are checked for sanity.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  createOctokit,
  DEFAULT_API_POLICY,
  listChangedFiles,
  startCheckRun,
  type ApiPolicy,
} from "../src/github/checks.js";
import {
  startFakeGitHub,
  type FakePullRequest,
  type FakeResponse,
  type Intercept,
  type RecordedRequest,
} from "./helpers/fake-github.js";
import { git } from "./helpers/git.js";
import { runActionSource, type ActionRun } from "./helpers/run-action-source.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "test/fixtures/action");
const TOKEN = "ghs_hostileTOKEN0123456789abcdef";
const OWNER = "acme";
const REPO = "linux";
const PR = 7;

/** Short waits for tests: 20 ms steps, a 300 ms limit per attempt. */
const FAST: ApiPolicy = {
  timeoutMs: 300,
  retries: 3,
  retryBaseMs: 20,
  retryAfterUnitMs: 20,
  maxRateLimitWaitS: 120,
};

const secondaryRateLimit: FakeResponse = {
  status: 403,
  headers: { "retry-after": "2" },
  body: {
    message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
  },
};
const serverError: FakeResponse = { status: 500, body: { message: "Server Error" } };
/** Longer than FAST.timeoutMs: the client must give up on it and retry. */
const hang = (then: FakeResponse): FakeResponse => ({ ...then, delayMs: 3000 });

/** In a script: the fake GitHub's own answer. */
const asGitHub = undefined;

/**
 * Faults from a script per operation: the n-th request gets the n-th answer (the last repeats),
 * `asGitHub` letting the fake GitHub answer; operations not in the script get `otherwise`.
 */
function scripted(script: Record<string, (FakeResponse | undefined)[]>, otherwise?: FakeResponse): Intercept {
  const seen = new Map<string, number>();
  return (request) => {
    const key = request.operationId ?? "";
    const answers = script[key];
    if (answers === undefined) return otherwise;
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    return answers[Math.min(index, answers.length - 1)];
  };
}

const LIST_FILES = "pulls/list-files";
const CREATE = "checks/create";
const UPDATE = "checks/update";

function count(requests: readonly RecordedRequest[], operationId: string): number {
  return requests.filter((request) => request.operationId === operationId).length;
}

function pullRequest(baseSha: string, headSha: string, filename: string): FakePullRequest {
  return { number: PR, baseSha, headSha, files: [{ filename, status: "modified" }] };
}

describe("the API client under faults", () => {
  const repository = { owner: OWNER, repo: REPO };
  const changed = pullRequest("b".repeat(40), "a".repeat(40), "drivers/a/a.c");

  test("500s are retried with backoff until an answer comes", async () => {
    const github = await startFakeGitHub({
      pullRequest: changed,
      intercept: scripted({ [LIST_FILES]: [serverError, serverError, asGitHub] }),
    });
    try {
      const started = performance.now();
      const octokit = createOctokit(
        TOKEN,
        github.url,
        { info: () => undefined, warning: () => undefined },
        FAST,
      );
      const listed = await listChangedFiles(octokit, repository, PR);
      assert.deepEqual(listed.files, [{ path: "drivers/a/a.c", status: "modified" }]);
      assert.equal(count(github.requests, LIST_FILES), 3);
      // Backoff: 20 ms × 1, then × 4.
      assert.ok(performance.now() - started >= 90, "retried without waiting");
    } finally {
      await github.close();
    }
  });

  test("a request that hangs is cut by the time limit and retried", async () => {
    const github = await startFakeGitHub({
      pullRequest: changed,
      intercept: scripted({ [LIST_FILES]: [hang(serverError), asGitHub] }),
    });
    try {
      const octokit = createOctokit(
        TOKEN,
        github.url,
        { info: () => undefined, warning: () => undefined },
        FAST,
      );
      const started = performance.now();
      const listed = await listChangedFiles(octokit, repository, PR);
      assert.deepEqual(listed.files, [{ path: "drivers/a/a.c", status: "modified" }]);
      assert.equal(count(github.requests, LIST_FILES), 2);
      assert.ok(performance.now() - started < 2500, "waited for the hanging answer");
    } finally {
      await github.close();
    }
  });

  test("a secondary rate limit (403 + retry-after) is waited out, saying so", async () => {
    const github = await startFakeGitHub({
      pullRequest: changed,
      intercept: scripted({ [CREATE]: [secondaryRateLimit, asGitHub] }),
    });
    try {
      const warnings: string[] = [];
      const octokit = createOctokit(
        TOKEN,
        github.url,
        { info: () => undefined, warning: (m) => warnings.push(m) },
        FAST,
      );
      const started = performance.now();
      assert.deepEqual(await startCheckRun(octokit, repository, "a".repeat(40), undefined), {
        id: github.checkRuns[0]?.id,
      });
      assert.ok(performance.now() - started >= 40, "retry-after: 2 is 2 units of 20 ms");
      assert.equal(count(github.requests, CREATE), 2);
      assert.match(warnings.join("\n"), /secondary rate limit on POST .*check-runs; retrying in 2s/);
    } finally {
      await github.close();
    }
  });

  test("a rate limit that asks for longer than the job should wait fails instead of stalling", async () => {
    const github = await startFakeGitHub({
      pullRequest: changed,
      intercept: scripted({ [CREATE]: [{ ...secondaryRateLimit, headers: { "retry-after": "3600" } }] }),
    });
    try {
      const warnings: string[] = [];
      const octokit = createOctokit(
        TOKEN,
        github.url,
        { info: () => undefined, warning: (m) => warnings.push(m) },
        FAST,
      );
      const started = performance.now();
      const result = await startCheckRun(octokit, repository, "a".repeat(40), undefined);
      assert.equal(result.id, undefined);
      assert.ok(performance.now() - started < 2000);
      assert.match(warnings.join("\n"), /asks for 3600s, not waiting/);
    } finally {
      await github.close();
    }
  });

  test("a 404 is not retried; an API that stays down gives a reason, not an exception", async () => {
    const github = await startFakeGitHub({
      pullRequest: changed,
      intercept: scripted({
        [LIST_FILES]: [{ status: 404, body: { message: "Not Found" } }],
        [CREATE]: [serverError],
      }),
    });
    try {
      const octokit = createOctokit(
        TOKEN,
        github.url,
        { info: () => undefined, warning: () => undefined },
        FAST,
      );
      const listed = await listChangedFiles(octokit, repository, PR);
      assert.equal(listed.files, undefined);
      assert.equal(count(github.requests, LIST_FILES), 1);
      const started = await startCheckRun(octokit, repository, "a".repeat(40), undefined);
      assert.deepEqual(
        { id: started.id, status: (started as { status: number }).status },
        { id: undefined, status: 500 },
      );
      assert.equal(count(github.requests, CREATE), 1 + FAST.retries);
    } finally {
      await github.close();
    }
  });

  test("the production policy waits sanely: bounded attempts, seconds not minutes", () => {
    assert.ok(DEFAULT_API_POLICY.timeoutMs >= 10_000 && DEFAULT_API_POLICY.timeoutMs <= 60_000);
    assert.ok(DEFAULT_API_POLICY.retries >= 2 && DEFAULT_API_POLICY.retries <= 5);
    assert.equal(DEFAULT_API_POLICY.retryAfterUnitMs, 1000);
    const worstRetryWaitMs = Array.from(
      { length: DEFAULT_API_POLICY.retries },
      (_, i) => (i + 1) ** 2,
    ).reduce((sum, n) => sum + n * DEFAULT_API_POLICY.retryBaseMs, 0);
    assert.ok(worstRetryWaitMs <= 60_000, `${worstRetryWaitMs} ms of backoff per request`);
    assert.ok(DEFAULT_API_POLICY.maxRateLimitWaitS <= 600);
  });
});

// ---------------------------------------------------------------------------------------------
// The whole action, run() in a child process as the runner would, against a failing API.

type Run = ActionRun;

describe("the action under API faults", { concurrency: false }, () => {
  let scratch: string;
  let workspace: string;
  let baseSha: string;
  let headSha: string;
  let runs = 0;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-api-faults-"));
    const origin = join(scratch, "origin");
    await mkdir(join(origin, "drivers/misc/demo"), { recursive: true });
    await git(origin, "init", "-q", "-b", "main");
    const fixture = (name: string): Promise<string> => readFile(join(FIXTURES, name), "utf8");
    await writeFile(join(origin, "drivers/misc/demo/Makefile"), "obj-$(CONFIG_DEMO) += demo.o\n");
    await writeFile(join(origin, "drivers/misc/demo/demo.c"), await fixture("managed-no-release.c"));
    await git(origin, "add", "-A");
    await git(origin, "commit", "-q", "-m", "base");
    baseSha = await git(origin, "rev-parse", "HEAD");
    await writeFile(join(origin, "drivers/misc/demo/demo.c"), await fixture("managed-free-in-remove.c"));
    await git(origin, "commit", "-q", "-am", "head");
    headSha = await git(origin, "rev-parse", "HEAD");
    workspace = join(scratch, "workspace");
    await git(scratch, "clone", "-q", "--depth", "1", `file://${origin}`, workspace);
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function runAction(
    intercept: Intercept,
    inputs: Record<string, string>,
    mode: "pr" | "audit" = "pr",
  ): Promise<{ run: Run; requests: RecordedRequest[] }> {
    const github = await startFakeGitHub({
      pullRequest: pullRequest(baseSha, headSha, "drivers/misc/demo/demo.c"),
      intercept,
    });
    try {
      const run = await runActionSource({
        runner: join(scratch, `runner-${++runs}`),
        workspace,
        apiUrl: github.url,
        token: TOKEN,
        repository: `${OWNER}/${REPO}`,
        eventName: mode === "pr" ? "pull_request" : "schedule",
        payload:
          mode === "pr"
            ? {
                number: PR,
                pull_request: { number: PR, head: { sha: headSha }, base: { sha: baseSha, ref: "main" } },
              }
            : {},
        inputs,
        policy: FAST,
      });
      return { run, requests: github.requests };
    } finally {
      await github.close();
    }
  }

  function assertDelivered(run: Run, expectedCode: number): void {
    assert.equal(run.code, expectedCode, `exit status\n${run.stdout}\n${run.stderr}`);
    assert.match(run.summary, /^## /m, "no job summary");
    assert.ok(run.report.includes('"schema": "msi-ownership/report@1"'), "no JSON report");
    assert.ok(run.sarif.includes('"version": "2.1.0"'), "no SARIF");
    assert.match(run.outputs, /^findings<</m, "no outputs");
    assert.doesNotMatch(run.stdout, /internal error/);
    // The token: only in the runner's mask command, nowhere else.
    for (const [name, text] of Object.entries(run)) {
      if (typeof text !== "string") continue;
      for (const line of text.split("\n")) {
        if (line.includes(TOKEN))
          assert.equal(line, `::add-mask::${TOKEN}`, `the token is in ${name}: ${line}`);
      }
    }
  }

  const commandAnnotations = (run: Run): string[] =>
    run.stdout.split("\n").filter((line) => line.startsWith("::error "));

  test("every endpoint answers 500: git gives the files, workflow commands the annotations", async () => {
    const { run, requests } = await runAction(scripted({}, serverError), {});
    assertDelivered(run, 1);
    assert.equal(count(requests, LIST_FILES), 1 + FAST.retries);
    assert.equal(count(requests, CREATE), 1 + FAST.retries);
    assert.match(run.stdout, /pulls\.listFiles failed.*using git diff/);
    assert.match(run.stdout, /check run could not be created \(HTTP 500/);
    assert.equal(commandAnnotations(run).length, 1);
    assert.match(run.summary, /workflow commands/);
  });

  test("the same outage with fail-on never: success, because the exit status is the findings'", async () => {
    const { run } = await runAction(scripted({}, serverError), { "fail-on": "never" });
    assertDelivered(run, 0);
  });

  test("a fork's token: 403 on check runs and 404 on the files fall back to commands and git", async () => {
    const { run, requests } = await runAction(
      scripted({
        [LIST_FILES]: [{ status: 404, body: { message: "Not Found" } }],
        [CREATE]: [{ status: 403, body: { message: "Resource not accessible by integration" } }],
      }),
      {},
    );
    assertDelivered(run, 1);
    assert.equal(count(requests, LIST_FILES), 1, "a 404 is not retried");
    assert.equal(count(requests, CREATE), 1, "a 403 without rate limit is not retried");
    assert.match(run.summary, /may not create check runs \(HTTP 403/);
    assert.equal(commandAnnotations(run).length, 1);
  });

  test("rate limits and 500s that pass: waited out, retried, the check run completes", async () => {
    const { run, requests } = await runAction(
      scripted({
        [LIST_FILES]: [serverError, hang(serverError), asGitHub],
        [CREATE]: [secondaryRateLimit, asGitHub],
        [UPDATE]: [serverError, asGitHub],
      }),
      {},
    );
    assertDelivered(run, 1);
    assert.equal(count(requests, LIST_FILES), 3);
    assert.equal(count(requests, CREATE), 2);
    assert.equal(count(requests, UPDATE), 2);
    const completed = requests.filter((r) => r.method === "PATCH").at(-1)?.body as {
      conclusion?: string;
      output?: { annotations: unknown[] };
    };
    assert.equal(completed.conclusion, "failure");
    assert.equal(completed.output?.annotations.length, 1);
    assert.equal(commandAnnotations(run).length, 0, "annotated twice");
    assert.match(run.stdout, /secondary rate limit/);
  });

  test("the check run is created but cannot be completed: commands carry the annotations", async () => {
    const { run, requests } = await runAction(
      scripted({
        [LIST_FILES]: [asGitHub],
        [CREATE]: [asGitHub],
        [UPDATE]: [hang(serverError)],
      }),
      {},
    );
    assertDelivered(run, 1);
    assert.equal(count(requests, UPDATE), 1 + FAST.retries);
    assert.equal(commandAnnotations(run).length, 1);
    assert.match(run.summary, /could not be completed/);
  });

  test("audit mode: a tracking issue the API will not take costs the issue, not the run", async () => {
    const { run } = await runAction(
      scripted({}, serverError),
      { "tracking-issue": "MSI ownership" },
      "audit",
    );
    assertDelivered(run, 0);
    assert.match(run.stdout, /::warning::msi-ownership: the tracking issue was not updated/);
  });
});

/**
 * The action end to end: the committed bundle `dist/index.js` run as the runner runs it (INPUT_*
 * variables with action.yml's defaults, the event payload file, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files) in a shallow clone of a temporary git repository, against a local
 * stand-in for the GitHub API. The inputs are those of the workflows in the README.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  startFakeGitHub,
  type FakeGitHubOptions,
  type PullRequestFile,
  type RecordedRequest,
} from "./helpers/fake-github.js";
import { git } from "./helpers/git.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUNDLE = join(ROOT, "dist", "index.js");
const FIXTURES = join(ROOT, "test", "fixtures", "action");
const OWNER = "acme";
const REPO = "linux";
const TOKEN = "ghs_testtoken0123456789";
const PR_NUMBER = 7;
/** On pull_request events GITHUB_SHA is the test merge commit: never the one to annotate. */
const MERGE_SHA = "f".repeat(40);

// ---------------------------------------------------------------------------------------------
// The workflows of the README and the defaults of action.yml: the inputs the runner gives.

interface WorkflowStep {
  uses?: string;
  with?: Record<string, string | number | boolean>;
}

async function docWorkflowInputs(): Promise<Map<string, Record<string, string>>> {
  // The README's section on the action, up to the next section.
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## The GitHub Action");
  const markdown = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const workflows = new Map<string, Record<string, string>>();
  for (const match of markdown.matchAll(/```yaml\n# \.github\/workflows\/([\w.-]+)\n([\s\S]*?)```/g)) {
    const doc = parseYaml(match[2] as string) as { jobs: Record<string, { steps: WorkflowStep[] }> };
    const steps = Object.values(doc.jobs).flatMap((job) => job.steps);
    const step = steps.find((candidate) => candidate.uses?.startsWith("msi-ownership/msi-ownership@"));
    assert.ok(step, `${match[1]}: no msi-ownership step`);
    const inputs: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.with ?? {})) {
      assert.ok(
        !String(value).includes("${{"),
        `${match[1]}: input ${name} uses an expression the test cannot evaluate`,
      );
      inputs[name] = String(value);
    }
    workflows.set(match[1] as string, inputs);
  }
  return workflows;
}

async function actionDefaults(): Promise<Record<string, string>> {
  const action = parseYaml(await readFile(join(ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: string }>;
  };
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs)) {
    defaults[name] = (input.default ?? "").replace("${{ github.token }}", TOKEN);
  }
  return defaults;
}

// ---------------------------------------------------------------------------------------------
// Kernel-style fixtures and the git repositories made of them.

/** A fixture driver renamed (`demo` → name), so many can live in one tree. */
async function driverSource(fixture: string, name: string): Promise<string> {
  return (await readFile(join(FIXTURES, fixture), "utf8")).replace(/demo/g, name);
}

function lineOf(source: string, text: string): number {
  const index = source.split("\n").findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `fixture has no line with ${text}`);
  return index + 1;
}

type Files = Record<string, string | null>;

async function writeFiles(root: string, files: Files): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) await rm(join(root, path));
    else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
  }
}

interface PullRequestRepo {
  workspace: string;
  baseSha: string;
  headSha: string;
  /** The PR's files as pulls.listFiles returns them. */
  apiFiles: PullRequestFile[];
}

/**
 * An origin with a base commit and a head commit, and the workspace as actions/checkout leaves
 * it: a depth-1 clone of the head, without the base commit.
 */
async function pullRequestRepo(scratch: string, base: Files, head: Files): Promise<PullRequestRepo> {
  const origin = join(scratch, "origin");
  await mkdir(origin, { recursive: true });
  await git(origin, "init", "-q", "-b", "main");
  await writeFiles(origin, base);
  await git(origin, "add", "-A");
  await git(origin, "commit", "-q", "-m", "base");
  const baseSha = await git(origin, "rev-parse", "HEAD");
  await writeFiles(origin, head);
  await git(origin, "add", "-A");
  await git(origin, "commit", "-q", "-m", "head");
  const headSha = await git(origin, "rev-parse", "HEAD");
  const workspace = join(scratch, "workspace");
  await git(scratch, "clone", "-q", "--depth", "1", `file://${origin}`, workspace);
  const apiFiles = Object.entries(head).map(([filename, content]): PullRequestFile => ({
    filename,
    status: content === null ? "removed" : filename in base ? "modified" : "added",
  }));
  return { workspace, baseSha, headSha, apiFiles };
}

// ---------------------------------------------------------------------------------------------
// The runner.

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const match of text.matchAll(/^([\w-]+)<<(ghadelimiter_[^\n]+)\n([\s\S]*?)\n\2$/gm)) {
    outputs[match[1] as string] = match[3] as string;
  }
  return outputs;
}

async function runAction(options: {
  scratch: string;
  workspace: string;
  eventName: string;
  payload: unknown;
  sha: string;
  inputs: Record<string, string>;
  apiUrl: string;
}): Promise<RunResult> {
  const runner = join(options.scratch, "runner");
  await mkdir(runner, { recursive: true });
  const eventPath = join(runner, "event.json");
  const outputPath = join(runner, "output");
  const summaryPath = join(runner, "summary.md");
  await writeFile(eventPath, JSON.stringify(options.payload));
  await writeFile(outputPath, "");
  await writeFile(summaryPath, "");
  const inputs = { ...(await actionDefaults()), ...options.inputs };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_CACHE_HOME: join(runner, "cache"),
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: options.sha,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_API_URL: options.apiUrl,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_RUN_ID: "4242",
    RUNNER_TEMP: runner,
  };
  // The runner's names: `INPUT_` and the input's name upper-cased, hyphens kept.
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  let code = 0;
  let stdout = "";
  let stderr = "";
  try {
    ({ stdout, stderr } = await execFileAsync(process.execPath, [BUNDLE], { cwd: options.workspace, env }));
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    code = failed.code ?? -1;
    stdout = failed.stdout ?? "";
    stderr = failed.stderr ?? "";
  }
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(await readFile(outputPath, "utf8")),
    summary: await readFile(summaryPath, "utf8"),
  };
}

function pullRequestPayload(repo: PullRequestRepo): unknown {
  return {
    action: "synchronize",
    number: PR_NUMBER,
    pull_request: {
      number: PR_NUMBER,
      head: { sha: repo.headSha, ref: "feature" },
      base: { sha: repo.baseSha, ref: "main" },
    },
    repository: { name: REPO, owner: { login: OWNER } },
  };
}

/**
 * The API as the action needs it: the pull request with these files; `checksWritable: false` is
 * a fork's read-only token, which GitHub refuses check runs (403).
 */
function githubApi(
  repo: PullRequestRepo,
  checksWritable: boolean,
  files: readonly PullRequestFile[] = repo.apiFiles,
  pageSize = 30,
): FakeGitHubOptions {
  return {
    owner: OWNER,
    repo: REPO,
    // Fewer per page than asked for, as GitHub may: the action must follow the Link header.
    pageSize,
    pullRequest: { number: PR_NUMBER, baseSha: repo.baseSha, headSha: repo.headSha, files: [...files] },
    intercept: (request) =>
      !checksWritable && request.operationId === "checks/create"
        ? {
            status: 403,
            body: {
              message: "Resource not accessible by integration",
              documentation_url: "https://docs.github.com/rest/checks/runs#create-a-check-run",
            },
          }
        : undefined,
  };
}

interface CheckRunBody {
  name?: string;
  head_sha?: string;
  status?: string;
  conclusion?: string;
  output?: {
    title: string;
    summary: string;
    annotations: {
      path: string;
      start_line: number;
      annotation_level: string;
      title: string;
      message: string;
    }[];
  };
}

function checkRequests(requests: readonly RecordedRequest[]): {
  creates: CheckRunBody[];
  updates: CheckRunBody[];
} {
  return {
    creates: requests
      .filter((r) => r.method === "POST" && r.path.endsWith("/check-runs"))
      .map((r) => r.body as CheckRunBody),
    updates: requests.filter((r) => r.method === "PATCH").map((r) => r.body as CheckRunBody),
  };
}

function assertTokenMasked(result: RunResult): void {
  for (const line of `${result.stdout}\n${result.stderr}`.split("\n")) {
    if (line.includes(TOKEN))
      assert.equal(line, `::add-mask::${TOKEN}`, "the token appears in the log unmasked");
  }
}

// ---------------------------------------------------------------------------------------------

describe("the action (dist/index.js)", { concurrency: false }, () => {
  let scratchRoot: string;
  let workflows: Map<string, Record<string, string>>;
  let probe: string;
  let freeInRemove: string;
  const makefile = "obj-$(CONFIG_DEMO) += demo.o\n";

  before(async () => {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build`);
    scratchRoot = await mkdtemp(join(tmpdir(), "msi-action-"));
    workflows = await docWorkflowInputs();
    probe = await driverSource("managed-no-release.c", "demo");
    freeInRemove = await driverSource("managed-free-in-remove.c", "demo");
  });
  after(async () => {
    await rm(scratchRoot, { recursive: true, force: true });
  });

  /** One driver gains a double release; an untouched driver elsewhere is not analysed. */
  async function doubleReleaseRepo(name: string): Promise<PullRequestRepo> {
    const other = await driverSource("managed-no-release.c", "other");
    return pullRequestRepo(
      join(scratchRoot, name),
      {
        "drivers/misc/demo/Makefile": makefile,
        "drivers/misc/demo/demo.c": probe,
        "drivers/net/other/Makefile": "obj-$(CONFIG_OTHER) += other.o\n",
        "drivers/net/other/other.c": other,
        "Documentation/demo.rst": "Demo\n",
      },
      { "drivers/misc/demo/demo.c": freeInRemove },
    );
  }

  test("pull request workflow: a double release gets a failing check run on the head commit", async () => {
    const inputs = workflows.get("msi-ownership.yml");
    assert.ok(inputs, "the README has no msi-ownership.yml workflow");
    const repo = await doubleReleaseRepo("pr");
    const github = await startFakeGitHub(githubApi(repo, true));
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "pr"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 1, `exit status (stdout: ${result.stdout} stderr: ${result.stderr})`);
    assert.match(result.stdout, /^::error::msi-ownership: blocking findings \(fail-on: new\)/m);
    assertTokenMasked(result);

    const authorizations = new Set(github.requests.map((r) => r.headers.authorization));
    assert.deepEqual([...authorizations], [`token ${TOKEN}`]);
    assert.ok(github.requests.some((r) => r.path.endsWith(`/pulls/${PR_NUMBER}/files`)));

    const { creates, updates } = checkRequests(github.requests);
    assert.equal(creates.length, 1);
    assert.equal(creates[0]?.name, "msi-ownership");
    assert.equal(creates[0]?.head_sha, repo.headSha, "the check run is on the PR's head, not GITHUB_SHA");
    assert.equal(updates.length, 1);
    const update = updates[0] as CheckRunBody;
    assert.equal(update.status, "completed");
    assert.equal(update.conclusion, "failure");
    const releaseLine = lineOf(freeInRemove, "pci_free_irq_vectors(pdev);");
    assert.deepEqual(
      update.output?.annotations.map((a) => [a.path, a.start_line, a.annotation_level, a.title]),
      [["drivers/misc/demo/demo.c", releaseLine, "failure", "msi-double-release"]],
    );
    assert.match(
      update.output?.annotations[0]?.message ?? "",
      /managed by pcim_enable_device\(\) at demo.c:19 in demo_probe\(\)/,
    );

    // The base commit was not in the depth-1 checkout: the action fetched it.
    await git(repo.workspace, "cat-file", "-e", `${repo.baseSha}^{commit}`);

    const workspace = repo.workspace;
    assert.equal(result.outputs.findings, "1");
    assert.equal(result.outputs["new-findings"], "1");
    assert.equal(result.outputs["needs-conversion"], "1");
    assert.equal(result.outputs.report, join(workspace, "msi-ownership.json"));
    assert.equal(result.outputs.sarif, join(workspace, "msi-ownership.sarif"));
    assert.equal(result.outputs.dangerfile, join(ROOT, "dangerfile.ts"));

    const report = JSON.parse(await readFile(join(workspace, "msi-ownership.json"), "utf8")) as {
      schema: string;
      drivers: { unit: string; findings: { new: boolean; line: number }[] }[];
    };
    assert.equal(report.schema, "msi-ownership/report@1");
    assert.deepEqual(
      report.drivers.map((d) => d.unit),
      ["drivers/misc/demo"],
      "only the touched module",
    );
    assert.deepEqual(
      report.drivers[0]?.findings.map((f) => [f.line, f.new]),
      [[releaseLine, true]],
    );
    const sarif = JSON.parse(await readFile(join(workspace, "msi-ownership.sarif"), "utf8")) as {
      version: string;
    };
    assert.equal(sarif.version, "2.1.0");

    const blob = `https://github.com/${OWNER}/${REPO}/blob/${repo.headSha}/drivers/misc/demo/demo.c`;
    assert.match(result.summary, /## msi-ownership: 1 new finding/);
    assert.ok(result.summary.includes(`${blob}#L${releaseLine}`), result.summary);
    assert.ok(
      result.summary.includes(`${blob}#L${lineOf(freeInRemove, "pcim_enable_device(pdev)")}`),
      "evidence linked",
    );
    assert.ok(result.summary.indexOf("### New findings") >= 0);
    assert.ok(!result.summary.includes(MERGE_SHA));
  });

  test("required check workflow: more than 50 new findings are annotated in batches of 50", async () => {
    const inputs = workflows.get("msi-ownership-gate.yml");
    assert.ok(inputs, "the README has no msi-ownership-gate.yml workflow");
    const count = 55;
    const names = Array.from({ length: count }, (_, index) => `dm${String(index).padStart(2, "0")}`);
    const base: Files = {
      "drivers/misc/many/Makefile": names.map((n) => `obj-$(CONFIG_DM) += ${n}.o\n`).join(""),
    };
    const head: Files = {};
    for (const name of names) {
      base[`drivers/misc/many/${name}.c`] = await driverSource("managed-no-release.c", name);
      head[`drivers/misc/many/${name}.c`] = await driverSource("managed-free-in-remove.c", name);
    }
    const repo = await pullRequestRepo(join(scratchRoot, "gate"), base, head);
    const github = await startFakeGitHub(githubApi(repo, true));
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "gate"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 1, result.stderr);
    const pages = github.requests.filter((r) => r.path.endsWith(`/pulls/${PR_NUMBER}/files`));
    assert.deepEqual(
      pages.map((r) => r.query.get("page") ?? "1"),
      ["1", "2"],
      "listFiles followed the Link header",
    );
    assert.equal(result.outputs["new-findings"], String(count));

    const { creates, updates } = checkRequests(github.requests);
    assert.equal(creates.length, 1);
    assert.deepEqual(
      updates.map((u) => u.output?.annotations.length),
      [50, count - 50],
    );
    assert.deepEqual(
      updates.map((u) => u.status),
      [undefined, "completed"],
      "only the last update completes",
    );
    assert.equal(updates[1]?.conclusion, "failure");
    const annotated = new Set(updates.flatMap((u) => u.output?.annotations.map((a) => a.path) ?? []));
    assert.equal(annotated.size, count, "every driver annotated once");
    assert.match(result.summary, new RegExp(`## msi-ownership: ${count} new findings`));
  });

  test("a read-only token (fork): falls back to workflow-command annotations and says so", async () => {
    const inputs = workflows.get("msi-ownership.yml");
    assert.ok(inputs);
    const repo = await doubleReleaseRepo("fork");
    const github = await startFakeGitHub(githubApi(repo, false));
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "fork"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 1, result.stderr);
    const { creates, updates } = checkRequests(github.requests);
    assert.equal(creates.length, 1, "tried the check run once");
    assert.equal(updates.length, 0);
    const releaseLine = lineOf(freeInRemove, "pci_free_irq_vectors(pdev);");
    const commands = result.stdout.split("\n").filter((line) => line.startsWith("::error "));
    assert.equal(commands.length, 1, result.stdout);
    assert.match(commands[0] as string, new RegExp(`file=drivers/misc/demo/demo\\.c,line=${releaseLine}\\b`));
    assert.match(commands[0] as string, /title=msi-double-release/);
    assert.match(result.stdout, /^::warning::.*may not create check runs \(HTTP 403/m);
    assert.match(result.summary, /may not create check runs/);
    assert.match(result.summary, /workflow commands/);
    assert.equal(result.outputs["new-findings"], "1");
  });

  test("more than the API lists (3000 files): the changed files come from git", async () => {
    const inputs = workflows.get("msi-ownership.yml");
    assert.ok(inputs);
    const repo = await doubleReleaseRepo("huge");
    // The API's list is capped at 3000 and here does not even contain the driver.
    const listed = Array.from({ length: 3000 }, (_, index): PullRequestFile => ({
      filename: `Documentation/f${index}.rst`,
      status: "added",
    }));
    const github = await startFakeGitHub(githubApi(repo, true, listed, 100));
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "huge"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stdout,
      /^::warning::msi-ownership: the pull request has 3000 files or more.*using git diff/m,
    );
    assert.equal(result.outputs["new-findings"], "1");
    const { updates } = checkRequests(github.requests);
    assert.deepEqual(
      updates[0]?.output?.annotations.map((a) => a.path),
      ["drivers/misc/demo/demo.c"],
    );
  });

  test("a change that introduces nothing: success, no annotations", async () => {
    const inputs = workflows.get("msi-ownership-gate.yml");
    assert.ok(inputs);
    // A comment added at the top moves every line: the implicit-managed finding already at the
    // base must keep its fingerprint and stay not-new.
    const edited = probe.replace(
      "#include <linux/module.h>",
      "/* Maintained by the demo team. */\n#include <linux/module.h>",
    );
    const repo = await pullRequestRepo(
      join(scratchRoot, "clean"),
      { "drivers/misc/demo/Makefile": makefile, "drivers/misc/demo/demo.c": probe },
      { "drivers/misc/demo/demo.c": edited },
    );
    const github = await startFakeGitHub(githubApi(repo, true));
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "clean"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.doesNotMatch(result.stdout, /^::(error|warning|notice)/m);
    const { creates, updates } = checkRequests(github.requests);
    assert.equal(creates.length, 1);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.conclusion, "success");
    assert.deepEqual(updates[0]?.output?.annotations, []);
    assert.equal(result.outputs["new-findings"], "0");
    const report = JSON.parse(await readFile(result.outputs.report as string, "utf8")) as {
      drivers: { status: string; findings: { new: boolean }[] }[];
    };
    assert.equal(report.drivers[0]?.status, "implicit-managed");
    assert.ok(report.drivers[0]!.findings.length > 0, "the base's finding is still reported");
    assert.ok(report.drivers[0]!.findings.every((f) => f.new === false));
    assert.match(result.summary, /## msi-ownership: 0 new findings/);
    assert.match(result.summary, /### Already at the base/);
  });

  test("fork-safe pattern: analysis on pull_request, check run posted from workflow_run", async () => {
    const analyse = workflows.get("msi-ownership-analyse.yml");
    const publish = workflows.get("msi-ownership-publish.yml");
    assert.ok(analyse && publish, "the README lacks the analyse/publish workflows");
    const repo = await doubleReleaseRepo("split");
    const readOnly = await startFakeGitHub(githubApi(repo, false));
    let first: RunResult;
    try {
      first = await runAction({
        scratch: join(scratchRoot, "split"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload(repo),
        sha: MERGE_SHA,
        inputs: analyse,
        apiUrl: readOnly.url,
      });
    } finally {
      await readOnly.close();
    }
    assert.equal(first.code, 1, first.stderr);
    assert.equal(
      checkRequests(readOnly.requests).creates.length,
      0,
      "annotations: none makes no check request",
    );
    assert.doesNotMatch(first.stdout, /^::error file=/m);

    // The publish run: a fresh workspace holding only the downloaded artifact.
    const publishWorkspace = join(scratchRoot, "split", "publish");
    await mkdir(publishWorkspace, { recursive: true });
    await copyFile(first.outputs.report as string, join(publishWorkspace, "msi-ownership.json"));
    const writable = await startFakeGitHub(githubApi(repo, true));
    let second: RunResult;
    try {
      second = await runAction({
        scratch: join(scratchRoot, "split", "run2"),
        workspace: publishWorkspace,
        eventName: "workflow_run",
        payload: {
          action: "completed",
          workflow_run: { id: 99, event: "pull_request", head_sha: repo.headSha, pull_requests: [] },
          repository: { name: REPO, owner: { login: OWNER } },
        },
        sha: repo.baseSha,
        inputs: publish,
        apiUrl: writable.url,
      });
    } finally {
      await writable.close();
    }
    assert.equal(second.code, 1, second.stderr);
    const { creates, updates } = checkRequests(writable.requests);
    assert.equal(creates[0]?.head_sha, repo.headSha);
    assert.equal(updates.at(-1)?.conclusion, "failure");
    const releaseLine = lineOf(freeInRemove, "pci_free_irq_vectors(pdev);");
    assert.deepEqual(
      updates.flatMap((u) => u.output?.annotations.map((a) => [a.path, a.start_line]) ?? []),
      [["drivers/misc/demo/demo.c", releaseLine]],
    );
    assert.ok(
      !writable.requests.some((r) => r.path.includes("/pulls/")),
      "publishing does not re-list the files",
    );
    assert.ok(second.summary.includes(`/blob/${repo.headSha}/drivers/misc/demo/demo.c#L${releaseLine}`));
  });

  test("an analysis that cannot run closes the check run as failed, naming the cause", async () => {
    const inputs = workflows.get("msi-ownership-gate.yml");
    assert.ok(inputs);
    const repo = await doubleReleaseRepo("broken");
    const github = await startFakeGitHub(githubApi(repo, true));
    const missing = "0".repeat(40);
    let result: RunResult;
    try {
      result = await runAction({
        scratch: join(scratchRoot, "broken"),
        workspace: repo.workspace,
        eventName: "pull_request",
        payload: pullRequestPayload({ ...repo, baseSha: missing }),
        sha: MERGE_SHA,
        inputs,
        apiUrl: github.url,
      });
    } finally {
      await github.close();
    }
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      new RegExp(`^::error::msi-ownership: base revision ${missing}: no such commit`, "m"),
    );
    const { updates } = checkRequests(github.requests);
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.status, "completed");
    assert.equal(updates[0]?.conclusion, "failure", "never left in progress");
    assert.match(updates[0]?.output?.summary ?? "", /no such commit/);
  });

  test("audit mode on a schedule: whole-tree reports, summary, tracking issue created then updated", async () => {
    const scratch = join(scratchRoot, "audit");
    const workspace = join(scratch, "workspace");
    await writeFiles(workspace, {
      "drivers/misc/demo/Makefile": makefile,
      "drivers/misc/demo/demo.c": freeInRemove,
      "drivers/net/other/Makefile": "obj-$(CONFIG_OTHER) += other.o\n",
      "drivers/net/other/other.c": await driverSource("managed-no-release.c", "other"),
    });
    // No pull request, no issues yet; the workflow token may not read /user.
    const github = await startFakeGitHub({ owner: OWNER, repo: REPO });
    const { issues } = github;
    const runs: RunResult[] = [];
    try {
      for (const run of ["run1", "run2"]) {
        if (run === "run2") await writeFile(join(workspace, "drivers/misc/demo/demo.c"), probe);
        runs.push(
          await runAction({
            scratch: join(scratch, run),
            workspace,
            eventName: "schedule",
            payload: { schedule: "0 6 * * *" },
            sha: "c".repeat(40),
            inputs: { "tracking-issue": "MSI vector ownership: drivers to convert" },
            apiUrl: github.url,
          }),
        );
      }
    } finally {
      await github.close();
    }
    const [first, second] = runs as [RunResult, RunResult];
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.equal(first.outputs.findings, "2");
    assert.equal(first.outputs["needs-conversion"], "2");
    const sarif = JSON.parse(await readFile(first.outputs.sarif as string, "utf8")) as {
      runs: { results: unknown[] }[];
    };
    assert.equal(sarif.runs[0]?.results.length, 2);
    assert.match(first.summary, /2 drivers need conversion/);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(issues.length, 1, "one issue, updated in place");
    assert.equal(issues[0]?.title, "MSI vector ownership: drivers to convert");
    assert.ok(github.requests.some((r) => r.method === "PATCH" && r.path.endsWith("/issues/1")));
    assert.match(issues[0]?.body ?? "", /drivers\/misc\/demo/);
  });
});

/**
 * The action's inputs, read through @actions/core from INPUT_* variables as the runner sets
 * them: validation, defaults and the run's context.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { ActionInputError, readActionOptions, type ActionOptions } from "../src/github/inputs.js";

const scratch = mkdtempSync(join(tmpdir(), "msi-inputs-"));
const workspace = join(scratch, "ws");
after(() => rmSync(scratch, { recursive: true, force: true }));

const HEAD = "a".repeat(40);
const BASE = "b".repeat(40);

function eventFile(name: string, payload: unknown): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

const pullRequestEvent = eventFile("pull_request", {
  pull_request: { number: 12, head: { sha: HEAD }, base: { sha: BASE, ref: "main" } },
});

/** Runs `readActionOptions` with exactly these INPUT_* and GITHUB_* variables set. */
function read(inputs: Record<string, string>, context: Record<string, string> = {}): ActionOptions {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith("INPUT_") || key.startsWith("GITHUB_")) delete process.env[key];
  }
  Object.assign(process.env, {
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: "acme/linux",
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: pullRequestEvent,
    GITHUB_SHA: "c".repeat(40),
    ...context,
  });
  for (const [name, value] of Object.entries(inputs)) process.env[`INPUT_${name.toUpperCase()}`] = value;
  try {
    return readActionOptions();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** action.yml's defaults, as the runner passes them. */
const DEFAULTS = {
  mode: "auto",
  paths: "drivers",
  "fail-on": "",
  token: "",
  annotations: "auto",
  report: "msi-ownership.json",
  sarif: "msi-ownership.sarif",
  baseline: "",
  "tracking-issue": "",
};

describe("action inputs", () => {
  test("defaults on a pull_request event: PR mode on the PR's head, fail on new", () => {
    const options = read(DEFAULTS);
    assert.equal(options.mode, "pr");
    assert.equal(options.failOn, "new");
    assert.equal(options.annotations, "auto");
    assert.deepEqual(options.paths, ["drivers"]);
    assert.equal(options.reportPath, join(workspace, "msi-ownership.json"));
    assert.equal(options.sarifPath, join(workspace, "msi-ownership.sarif"));
    assert.equal(options.baselinePath, undefined);
    assert.equal(options.trackingIssue, undefined);
    assert.deepEqual(options.repository, { owner: "acme", repo: "linux" });
    assert.deepEqual(options.pullRequest, {
      kind: "pull_request",
      number: 12,
      headSha: HEAD,
      baseSha: BASE,
      baseRef: "main",
    });
    assert.equal(options.apiUrl, "https://api.github.com");
  });

  test("auto on a schedule is audit mode, which never fails by default", () => {
    const options = read(DEFAULTS, {
      GITHUB_EVENT_NAME: "schedule",
      GITHUB_EVENT_PATH: eventFile("schedule", {}),
    });
    assert.equal(options.mode, "audit");
    assert.equal(options.failOn, "never");
    assert.equal(options.pullRequest, undefined);
  });

  test("an explicit fail-on applies in either mode", () => {
    const options = read(
      { ...DEFAULTS, "fail-on": "error" },
      { GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: eventFile("push", {}) },
    );
    assert.equal(options.failOn, "error");
  });

  for (const [input, value, allowed] of [
    ["mode", "review", "auto, pr, audit"],
    ["fail-on", "warning", "new, error, any, never"],
    ["annotations", "comments", "auto, check-run, workflow-commands, none"],
  ] as const) {
    test(`an unknown ${input} names the input and the allowed values`, () => {
      assert.throws(
        () => read({ ...DEFAULTS, [input]: value }),
        (error: unknown) =>
          error instanceof ActionInputError &&
          error.message === `input '${input}': unknown value '${value}' (allowed: ${allowed})`,
      );
    });
  }

  test("paths: several, separated by commas, spaces or newlines, normalised", () => {
    const options = read({ ...DEFAULTS, paths: "drivers/net, drivers/pci\n sound/ ./drivers/gpu" });
    assert.deepEqual(options.paths, ["drivers/net", "drivers/pci", "sound", "drivers/gpu"]);
  });

  for (const outside of ["../linux-other", "/etc", "drivers/../../x"]) {
    test(`paths outside the workspace are an error: ${outside}`, () => {
      assert.throws(
        () => read({ ...DEFAULTS, paths: `drivers ${outside}` }),
        /input 'paths': '.*' is outside the workspace/,
      );
    });
  }

  test("mode pr on a push event is an error naming the event", () => {
    assert.throws(
      () =>
        read(
          { ...DEFAULTS, mode: "pr" },
          { GITHUB_EVENT_NAME: "push", GITHUB_EVENT_PATH: eventFile("push2", {}) },
        ),
      /input 'mode': pr needs a pull_request event .* this run is 'push'/,
    );
  });

  test("workflow_run after a pull_request run: PR mode publishing on that run's head", () => {
    const path = eventFile("workflow_run", {
      workflow_run: { id: 5, event: "pull_request", head_sha: HEAD, pull_requests: [{ number: 3 }] },
    });
    const options = read(DEFAULTS, { GITHUB_EVENT_NAME: "workflow_run", GITHUB_EVENT_PATH: path });
    assert.equal(options.mode, "pr");
    assert.deepEqual(options.pullRequest, { kind: "workflow_run", headSha: HEAD, number: 3, runId: 5 });
  });

  test("workflow_run after a push run is an audit", () => {
    const path = eventFile("workflow_run_push", { workflow_run: { id: 5, event: "push", head_sha: HEAD } });
    assert.equal(
      read(DEFAULTS, { GITHUB_EVENT_NAME: "workflow_run", GITHUB_EVENT_PATH: path }).mode,
      "audit",
    );
  });

  test("GITHUB_API_URL and GITHUB_SERVER_URL are honoured (GHES, local test servers)", () => {
    const options = read(DEFAULTS, {
      GITHUB_API_URL: "http://127.0.0.1:8080/api/v3/",
      GITHUB_SERVER_URL: "https://ghe.example.org",
      GITHUB_RUN_ID: "77",
    });
    assert.equal(options.apiUrl, "http://127.0.0.1:8080/api/v3");
    assert.equal(options.runUrl, "https://ghe.example.org/acme/linux/actions/runs/77");
  });

  test("empty sarif and a baseline and tracking issue", () => {
    // The baseline is read when the inputs are (a bad one fails before the analysis).
    mkdirSync(join(workspace, "ci"), { recursive: true });
    writeFileSync(
      join(workspace, "ci/baseline.json"),
      JSON.stringify({ schema: "msi-ownership/baseline@1", fingerprints: [] }),
    );
    const options = read({
      ...DEFAULTS,
      sarif: "",
      baseline: "ci/baseline.json",
      "tracking-issue": "MSI conversion",
    });
    assert.equal(options.sarifPath, undefined);
    assert.equal(options.baselinePath, join(workspace, "ci/baseline.json"));
    assert.equal(options.trackingIssue, "MSI conversion");
  });

  test("a malformed pull_request payload and GITHUB_REPOSITORY are reported", () => {
    assert.throws(
      () => read(DEFAULTS, { GITHUB_EVENT_PATH: eventFile("bad", { pull_request: { number: 1 } }) }),
      /lacks pull_request/,
    );
    assert.throws(
      () => read(DEFAULTS, { GITHUB_REPOSITORY: "acme" }),
      /GITHUB_REPOSITORY 'acme' is not 'owner\/repo'/,
    );
  });
});

describe("action.yml", () => {
  test("has exactly the inputs and outputs of DESIGN.md, each described, and runs dist/index.js on node24", async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..");
    const action = parseYaml(await readFile(join(root, "action.yml"), "utf8")) as {
      inputs: Record<string, { description?: string; default?: unknown }>;
      outputs: Record<string, { description?: string }>;
      runs: { using: string; main: string };
    };
    assert.deepEqual(Object.keys(action.inputs).sort(), Object.keys(DEFAULTS).sort());
    assert.deepEqual(Object.keys(action.outputs).sort(), [
      "dangerfile",
      "findings",
      "needs-conversion",
      "new-findings",
      "report",
      "sarif",
    ]);
    for (const [name, input] of Object.entries(action.inputs)) {
      assert.ok((input.description ?? "").length > 20, `input ${name} is documented`);
      assert.equal(typeof input.default, "string", `input ${name} has a default`);
      if (name !== "token")
        assert.equal(input.default, DEFAULTS[name as keyof typeof DEFAULTS], `default of ${name}`);
    }
    assert.equal(action.inputs.token?.default, "${{ github.token }}");
    for (const [name, output] of Object.entries(action.outputs))
      assert.ok(output.description, `output ${name} is documented`);
    assert.deepEqual(action.runs, { using: "node24", main: "dist/index.js" });
  });
});

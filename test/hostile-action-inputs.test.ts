/**
 * Bad action inputs fail at once, before any analysis or API request, with a message naming
 * the input: unknown values, `paths` outside the workspace (also through a link the checkout
 * holds), report files whose folder links out of it, a baseline that cannot be read or is not
 * a baseline, a tracking issue without a token.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { readActionOptions } from "../src/github/inputs.js";

const execFileAsync = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "msi-bad-inputs-"));
const workspace = join(scratch, "ws");
mkdirSync(join(workspace, "drivers"), { recursive: true });
mkdirSync(join(scratch, "elsewhere"), { recursive: true });
symlinkSync("/etc", join(workspace, "drivers", "etc"));
symlinkSync(join(scratch, "elsewhere"), join(workspace, "out"));
writeFileSync(join(workspace, "not-json.json"), "{ fingerprints: [");
writeFileSync(
  join(workspace, "report.json"),
  JSON.stringify({ schema: "msi-ownership/report@1", drivers: [] }),
);
mkdirSync(join(workspace, "a-directory.json"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const scheduleEvent = join(scratch, "schedule.json");
writeFileSync(scheduleEvent, "{}");

const DEFAULTS: Record<string, string> = {
  mode: "auto",
  paths: "drivers",
  "fail-on": "",
  token: "t",
  annotations: "auto",
  report: "msi-ownership.json",
  sarif: "msi-ownership.sarif",
  baseline: "",
  "tracking-issue": "",
};

function context(inputs: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: "acme/linux",
    GITHUB_EVENT_NAME: "schedule",
    GITHUB_EVENT_PATH: scheduleEvent,
    GITHUB_SHA: "c".repeat(40),
  };
  for (const [name, value] of Object.entries({ ...DEFAULTS, ...inputs }))
    env[`INPUT_${name.toUpperCase()}`] = value;
  return env;
}

/** readActionOptions with exactly these inputs (@actions/core reads process.env). */
function read(inputs: Record<string, string>): void {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env))
    if (key.startsWith("INPUT_") || key.startsWith("GITHUB_")) delete process.env[key];
  Object.assign(process.env, context(inputs));
  try {
    readActionOptions();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const BAD: [string, Record<string, string>, RegExp][] = [
  ["unknown mode", { mode: "fast" }, /^input 'mode': unknown value 'fast' \(allowed: auto, pr, audit\)$/],
  ["unknown fail-on", { "fail-on": "sometimes" }, /^input 'fail-on': unknown value 'sometimes'/],
  ["unknown annotations", { annotations: "loud" }, /^input 'annotations': unknown value 'loud'/],
  [
    "paths climbing out",
    { paths: "drivers ../other" },
    /^input 'paths': '\.\.\/other' is outside the workspace/,
  ],
  ["paths absolute", { paths: "/etc" }, /^input 'paths': '\/etc' is outside the workspace/],
  [
    "paths through a link",
    { paths: "drivers/etc" },
    /^input 'paths': 'drivers\/etc' links out of the workspace/,
  ],
  [
    "paths under a link",
    { paths: "out/drivers" },
    /^input 'paths': 'out\/drivers' links out of the workspace/,
  ],
  [
    "report through a link",
    { report: "out/r.json" },
    /^input 'report': .*out\/r\.json is in a folder that links out/,
  ],
  [
    "sarif through a link",
    { sarif: "out/r.sarif" },
    /^input 'sarif': .*out\/r\.sarif is in a folder that links out/,
  ],
  [
    "missing baseline",
    { baseline: "ci/baseline.json" },
    /^input 'baseline': cannot read .*ci\/baseline\.json \(ENOENT\)$/,
  ],
  [
    "baseline a folder",
    { baseline: "a-directory.json" },
    /^input 'baseline': cannot read .*a-directory\.json \(EISDIR\)$/,
  ],
  ["baseline not JSON", { baseline: "not-json.json" }, /^input 'baseline': .*not-json\.json: not JSON/],
  ["baseline a report", { baseline: "report.json" }, /^input 'baseline': .*report\.json: not a baseline/],
  [
    "tracking issue, no token",
    { "tracking-issue": "MSI", token: "" },
    /^input 'tracking-issue': needs a token/,
  ],
];

describe("bad action inputs", () => {
  for (const [name, inputs, message] of BAD) {
    test(`${name}: refused, naming the input`, () => {
      assert.throws(
        () => read(inputs),
        (error: Error) => {
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  test("good inputs still pass (the links inside the workspace are only refused where they lead out)", () => {
    read({ paths: "drivers", report: "reports/r.json" });
  });

  test("the action stops at once: no analysis, no API request, no report, the input named", async () => {
    const env = {
      ...context({ baseline: "ci/baseline.json" }),
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // Nothing listens here: any request would fail loudly.
      GITHUB_API_URL: "http://127.0.0.1:9",
    };
    const main = new URL("../src/github/main.ts", import.meta.url).href;
    const started = performance.now();
    let code = 0;
    let stdout = "";
    try {
      ({ stdout } = await execFileAsync(
        process.execPath,
        [
          "--import",
          import.meta.resolve("tsx"),
          "-e",
          `import(${JSON.stringify(main)}).then((m) => m.run())`,
        ],
        { cwd: workspace, env },
      ));
    } catch (error) {
      ({ code, stdout } = error as { code: number; stdout: string });
    }
    assert.equal(code, 1);
    assert.match(stdout, /^::error::msi-ownership: input 'baseline': cannot read .*\(ENOENT\)$/m);
    assert.doesNotMatch(stdout, /internal error|ECONNREFUSED/);
    assert.equal(existsSync(join(workspace, "msi-ownership.json")), false);
    assert.ok(performance.now() - started < 10_000);
  });
});

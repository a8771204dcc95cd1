/**
 * The committed bundle, as users run it: dist/cli.js copied alone into an empty folder, run by
 * plain `node` with no node_modules anywhere above it (the native addons come from inside it).
 * Rebuild with `npm run build` after changing src/.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { TOOL_VERSION } from "../src/version.js";
import { runProgram, type Run } from "./helpers/run.js";

const bundle = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const fixtureTree = fileURLToPath(new URL("./fixtures/audit-tree", import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), "msi-dist-test-"));
const alone = join(scratch, "alone");
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Nothing from this checkout or the caller's Node setup leaks in. */
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: join(scratch, "home"),
  TMPDIR: join(scratch, "tmp"),
  XDG_CACHE_HOME: join(scratch, "cache"),
};

function runAlone(args: string[]): Promise<Run> {
  return runProgram(process.execPath, ["cli.js", ...args], { cwd: alone, env, maxBuffer: 64 * 1024 * 1024 });
}

interface JsonReport {
  schema: string;
  tool: { name: string; version: string };
  drivers: Array<{ unit: string; status: string }>;
  stats: Record<string, number>;
}

function withoutStats(report: JsonReport): Omit<JsonReport, "stats"> {
  const { stats: _stats, ...rest } = report;
  return rest;
}

describe("dist/cli.js alone", () => {
  before(() => {
    assert.ok(existsSync(bundle), "dist/cli.js is missing: run npm run build");
    for (const dir of [alone, env.HOME, env.TMPDIR]) mkdirSync(dir, { recursive: true });
    copyFileSync(bundle, join(alone, "cli.js"));
  });

  it("starts with a shebang so that npm can link it as the bin", () => {
    assert.ok(readFileSync(bundle, "utf8").startsWith("#!/usr/bin/env node\n"));
  });

  it("prints its version", async () => {
    const run = await runAlone(["--version"]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), TOOL_VERSION);
  });

  it("audits a fixture tree, on one thread and on worker threads, cold and warm", async () => {
    const reports: JsonReport[] = [];
    for (const args of [
      ["--jobs", "1", "--no-cache"],
      ["--jobs", "2", "--cache", join(scratch, "facts")],
      ["--jobs", "2", "--cache", join(scratch, "facts")],
    ]) {
      const run = await runAlone(["audit", "--root", fixtureTree, "--format", "json", ...args]);
      assert.ok(run.status === 0 || run.status === 1, `exit status ${run.status}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /internal error|Cannot find module/);
      const report = JSON.parse(run.stdout) as JsonReport;
      assert.equal(report.schema, "msi-ownership/report@1");
      assert.deepEqual(report.tool, { name: "msi-ownership", version: TOOL_VERSION });
      assert.ok(report.drivers.length > 0, "the fixture tree has drivers");
      reports.push(report);
    }
    const [first, ...others] = reports.map(withoutStats);
    for (const other of others) assert.deepEqual(other, first);
    // The native addons were unpacked into the private temporary directory, not next to cli.js.
    assert.deepEqual(readdirSync(alone), ["cli.js"]);
    const unpacked = readdirSync(env.TMPDIR).flatMap((dir) => readdirSync(join(env.TMPDIR, dir)));
    assert.deepEqual(unpacked.map((name) => name.replace(/-[0-9a-f]{16}\.node$/, "")).sort(), [
      "tree-sitter",
      "tree-sitter-c",
    ]);
  });

  it("fails with a one-line reason and status 2 for a missing root", async () => {
    const run = await runAlone(["audit", "--root", join(scratch, "no-such-tree"), "--format", "json"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^msi-ownership: .*no-such-tree.*\n$/);
  });
});

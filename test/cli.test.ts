/** The command line as users run it: output forms, exit statuses 0/1/2, one-line errors. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyze } from "../src/analyze.js";
import type { SourceFile, TreeSource } from "../src/scan/source.js";
import { FsSource } from "../src/scan/source.js";

const REPO = new URL("..", import.meta.url).pathname;
const PATTERNS = join(REPO, "test/fixtures/patterns");

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(REPO, "src/bin.ts"), ...args], {
    encoding: "utf8",
    cwd: REPO,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("msi-ownership audit", () => {
  it("prints path:line:col: severity: message [rule] and exits 1 on errors", () => {
    const run = cli("audit", "--root", PATTERNS, "--no-cache");
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.ok(lines.length > 5);
    // The last line counts, as a compiler's does.
    assert.match(lines.pop() ?? "", /^\d+ errors and \d+ warnings in \d+ drivers$/);
    for (const line of lines)
      assert.match(line, /^drivers\/\S+\.c:\d+:\d+: (error|warning|note): .+ \[msi-[a-z-]+\]$/);
    assert.ok(
      lines.includes(
        lines.find((line) => line.startsWith("drivers/misc/managed-free-in-remove.c:37:2: error:")) ??
          "missing",
      ),
    );
  });

  it("takes paths absolute, or from the current directory, or under the root; the error names both", () => {
    const absolute = cli(
      "audit",
      join(PATTERNS, "drivers/misc"),
      "--root",
      PATTERNS,
      "--no-cache",
      "--fail-on",
      "never",
    );
    assert.equal(absolute.status, 0, absolute.stderr);
    assert.match(absolute.stdout, /drivers\/misc\/managed-free-in-remove\.c:37:2: error:/);
    assert.doesNotMatch(absolute.stdout, /drivers\/split\//);
    const underRoot = cli("audit", "drivers/split", "--root", PATTERNS, "--no-cache", "--fail-on", "never");
    assert.match(underRoot.stdout, /drivers\/split\/split_irq\.c:/);
    const missing = cli("audit", "drivers/nowhere", "--root", PATTERNS, "--no-cache");
    assert.equal(missing.status, 2);
    assert.match(
      missing.stderr,
      /^msi-ownership: path drivers\/nowhere: no such file or directory, neither \S+ \(from the current directory\) nor \S+ \(under the root\)\n$/,
    );
  });

  it("exits 0 when the policy says nothing blocks", () => {
    assert.equal(cli("audit", "--root", PATTERNS, "--no-cache", "--fail-on", "never").status, 0);
    assert.equal(
      cli("audit", "drivers/misc/pcim-alloc-converted.c", "--root", PATTERNS, "--no-cache").status,
      0,
    );
  });

  it("writes the JSON report to --output", () => {
    const out = join(mkdtempSync(join(tmpdir(), "msi-cli-")), "report.json");
    const run = cli(
      "audit",
      "drivers/split",
      "--root",
      PATTERNS,
      "--no-cache",
      "--format",
      "json",
      "--output",
      out,
    );
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    const report = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(report.schema, "msi-ownership/report@1");
    assert.deepEqual(
      report.drivers.map((driver: { unit: string }) => driver.unit),
      ["drivers/split"],
    );
    assert.deepEqual(report.drivers[0].files, [
      "drivers/split/split_debug.c",
      "drivers/split/split_irq.c",
      "drivers/split/split_main.c",
    ]);
  });

  for (const [what, args, pattern] of [
    [
      "a missing root",
      ["audit", "--root", "/nonexistent/tree"],
      /--root \/nonexistent\/tree: no such directory/,
    ],
    ["a path outside the root", ["audit", "../..", "--root", PATTERNS], /path \.\.\/\.\.: outside the root/],
    [
      "a path that does not exist",
      ["audit", "drivers/nothing", "--root", PATTERNS],
      /path drivers\/nothing: no such file or directory/,
    ],
    ["an unknown format", ["audit", "--root", PATTERNS, "--format", "xml"], /--format: .*xml/],
    [
      "an unknown fail-on policy",
      ["audit", "--root", PATTERNS, "--fail-on", "sometimes"],
      /--fail-on: unknown value 'sometimes'/,
    ],
    ["an unknown rule", ["explain", "msi-nothing"], /explain: unknown rule 'msi-nothing'/],
  ] as const) {
    it(`exits 2 with a one-line reason for ${what}`, () => {
      const run = cli(...args);
      assert.equal(run.status, 2, run.stdout);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    });
  }

  it("explains a rule from its metadata", () => {
    const run = cli("explain", "msi-double-release");
    assert.equal(run.status, 0);
    assert.match(run.stdout, /^msi-double-release \(error\): /);
    assert.match(run.stdout, /Fix: Delete the explicit release on the teardown path \(no behaviour changes/);
    assert.doesNotMatch(run.stdout, /crash|double free/i);
  });
});

describe("unreadable input", () => {
  it("skips a file it cannot read with a warning naming it, and keeps the other results", async () => {
    const root = mkdtempSync(join(tmpdir(), "msi-unreadable-"));
    mkdirSync(join(root, "drivers/misc"), { recursive: true });
    const fixture = readFileSync(join(PATTERNS, "drivers/misc/managed-free-in-remove.c"));
    writeFileSync(join(root, "drivers/misc/good.c"), fixture);
    writeFileSync(join(root, "drivers/misc/bad.c"), fixture);
    const disk = await FsSource.open(root);
    const failing: TreeSource = {
      root,
      list: (dir: string): Promise<SourceFile[]> => disk.list(dir),
      read: (path: string) =>
        path.endsWith("bad.c")
          ? Promise.reject(Object.assign(new Error("denied"), { code: "EACCES" }))
          : disk.read(path),
    };
    const report = await analyze(failing, { cache: false, jobs: 1 });
    assert.deepEqual(report.warnings, ["drivers/misc/bad.c: skipped: EACCES"]);
    assert.deepEqual(
      report.drivers.map((driver) => [driver.unit, driver.status]),
      [["drivers/misc/good", "double-release"]],
    );
  });
});

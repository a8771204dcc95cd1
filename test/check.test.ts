/**
 * PR mode on a local checkout (src/diff/check.ts) and the `check` command: what a change
 * introduces, with renames, deletions, the working tree and a base missing from the clone.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { checkChange, markNew, parseNameStatus, touchedPaths } from "../src/diff/check.js";
import { BatchedGitSource } from "../src/diff/git-batch.js";
import { GitSource, InputError } from "../src/scan/source.js";
import { driver, finding, report } from "./helpers/sample-report.js";
import { git } from "./helpers/git.js";

const execFileAsync = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = join(ROOT, "test", "fixtures", "action");

async function put(root: string, path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function fixture(name: string, driverName: string): Promise<string> {
  return (await readFile(join(FIXTURES, name), "utf8")).replace(/demo/g, driverName);
}

describe("checkChange", () => {
  let scratch: string;
  let repo: string;
  let base: string;
  let head: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-check-"));
    repo = join(scratch, "repo");
    await mkdir(repo);
    await git(repo, "init", "-q", "-b", "main");
    // keep: an implicit-managed driver the change gives a double release.
    await put(repo, "drivers/misc/keep/Makefile", "obj-$(CONFIG_KEEP) += keep.o\n");
    await put(repo, "drivers/misc/keep/keep.c", await fixture("managed-no-release.c", "keep"));
    // ren: a double release whose only file the change renames (the Makefile follows).
    await put(repo, "drivers/misc/ren/Makefile", "obj-$(CONFIG_REN) += ren.o\n");
    await put(repo, "drivers/misc/ren/ren.c", await fixture("managed-free-in-remove.c", "ren"));
    // gone: a double release the change deletes with its driver.
    await put(repo, "drivers/misc/gone/Makefile", "obj-$(CONFIG_GONE) += gone.o\n");
    await put(repo, "drivers/misc/gone/gone.c", await fixture("managed-free-in-remove.c", "gone"));
    // still: untouched, never analysed.
    await put(repo, "drivers/misc/still/still.c", await fixture("managed-free-in-remove.c", "still"));
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "base");
    base = await git(repo, "rev-parse", "HEAD");

    await put(repo, "drivers/misc/keep/keep.c", await fixture("managed-free-in-remove.c", "keep"));
    await rename(join(repo, "drivers/misc/ren/ren.c"), join(repo, "drivers/misc/ren/ren_core.c"));
    await put(repo, "drivers/misc/ren/Makefile", "obj-$(CONFIG_REN) += ren.o\nren-y := ren_core.o\n");
    await rm(join(repo, "drivers/misc/gone"), { recursive: true });
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "head");
    head = await git(repo, "rev-parse", "HEAD");
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test("between two commits: renames and deletions, base analysed at the old paths", async () => {
    const result = await checkChange({ root: repo, base, head, jobs: 1, cache: false });
    const byPath = new Map(result.changedFiles.map((file) => [file.path, file]));
    assert.deepEqual(byPath.get("drivers/misc/ren/ren_core.c"), {
      path: "drivers/misc/ren/ren_core.c",
      status: "renamed",
      previousPath: "drivers/misc/ren/ren.c",
    });
    assert.equal(byPath.get("drivers/misc/gone/gone.c")?.status, "removed");
    assert.equal(byPath.get("drivers/misc/keep/keep.c")?.status, "modified");
    assert.equal(result.baseCommit, base);
    assert.equal(result.headCommit, head);

    const baseUnits = result.baseReport.drivers.map((d) => [d.unit, d.files.join(",")]);
    assert.deepEqual(baseUnits, [
      ["drivers/misc/gone", "drivers/misc/gone/gone.c"],
      ["drivers/misc/keep", "drivers/misc/keep/keep.c"],
      ["drivers/misc/ren", "drivers/misc/ren/ren.c"],
    ]);
    const headUnits = result.report.drivers.map((d) => [d.unit, d.status]);
    assert.deepEqual(headUnits, [
      ["drivers/misc/keep", "double-release"],
      ["drivers/misc/ren", "double-release"],
    ]);
    const keep = result.report.drivers.find((d) => d.unit === "drivers/misc/keep");
    assert.ok(
      keep!.findings.length > 0 && keep!.findings.every((f) => f.new === true),
      "keep's double release is new",
    );
    // Renaming the file does not make its double release new, though the fingerprint has the path.
    const ren = result.report.drivers.find((d) => d.unit === "drivers/misc/ren");
    assert.ok(ren!.findings.length > 0);
    assert.deepEqual(
      ren!.findings.map((f) => [f.file, f.new]),
      ren!.findings.map(() => ["drivers/misc/ren/ren_core.c", false]),
    );
    assert.ok(
      !result.resolved.some((f) => f.file === "drivers/misc/ren/ren.c"),
      "a renamed finding is not resolved",
    );
    // The deleted driver's double release is gone with it; keep's implicit-managed finding too.
    const resolvedUnits = new Set(result.resolved.map((f) => f.file));
    assert.ok(resolvedUnits.has("drivers/misc/gone/gone.c"));
    assert.ok(resolvedUnits.has("drivers/misc/keep/keep.c"));
  });

  test("the working tree, with an untracked new driver", async () => {
    const work = join(scratch, "work");
    await git(scratch, "clone", "-q", repo, work);
    await put(work, "drivers/misc/fresh/fresh.c", await fixture("managed-free-in-remove.c", "fresh"));
    const result = await checkChange({ root: work, base, jobs: 1, cache: false });
    assert.equal(result.headCommit, undefined);
    assert.ok(
      result.changedFiles.some((f) => f.path === "drivers/misc/fresh/fresh.c" && f.status === "added"),
    );
    const fresh = result.report.drivers.find((d) => d.unit.startsWith("drivers/misc/fresh"));
    assert.equal(fresh?.status, "double-release");
    assert.ok(fresh!.findings.every((f) => f.new === true));
    assert.ok(
      !result.report.drivers.some((d) => d.unit.includes("still")),
      "untouched modules are not analysed",
    );
  });

  test("a base the shallow clone lacks is fetched from origin; an unknown one is an input error", async () => {
    const shallow = join(scratch, "shallow");
    await git(scratch, "clone", "-q", "--depth", "1", `file://${repo}`, shallow);
    await assert.rejects(git(shallow, "cat-file", "-e", `${base}^{commit}`));
    const result = await checkChange({ root: shallow, base, head: "HEAD", jobs: 1, cache: false });
    assert.equal(result.baseCommit, base);
    assert.deepEqual(
      result.report.drivers.map((d) => d.unit),
      ["drivers/misc/keep", "drivers/misc/ren"],
    );
    await assert.rejects(
      checkChange({ root: shallow, base: "0123456789abcdef0123456789abcdef01234567", cache: false }),
      (error: unknown) => error instanceof InputError && /base revision 0123456789abcdef/.test(error.message),
    );
  });

  test("the check command: text lines, exit status by --fail-on, usage errors", async () => {
    const cli = (args: string[]) =>
      execFileAsync(process.execPath, ["--import", "tsx", join(ROOT, "src/bin.ts"), ...args], {
        cwd: ROOT,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const failing = await cli(["check", "--root", repo, "--base", base, "--head", head, "--no-cache"]);
    assert.equal(failing.code, 1, failing.stderr);
    assert.match(failing.stdout, /^drivers\/misc\/keep\/keep\.c:40:2: error: .* \[msi-double-release\]$/m);
    assert.match(failing.stderr, /check: 2 module\(s\) touched by \d+ changed file\(s\)/);

    const json = await cli([
      "check",
      "--root",
      repo,
      "--base",
      base,
      "--head",
      head,
      "--format",
      "json",
      "--fail-on",
      "never",
      "--no-cache",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { drivers: { findings: { new: boolean }[] }[] };
    assert.ok(parsed.drivers.flatMap((d) => d.findings).some((f) => f.new === true));

    const usage = await cli(["check", "--root", repo, "--base", base, "--format", "xml"]);
    assert.equal(usage.code, 2);
    assert.match(
      usage.stderr,
      /--format: unknown value 'xml' \(allowed: text, json, sarif, markdown, codequality\)/,
    );
    const badBase = await cli(["check", "--root", repo, "--base", "no-such-branch"]);
    assert.equal(badBase.code, 2);
    assert.match(badBase.stderr, /base revision no-such-branch: no such commit/);
  });
});

describe("BatchedGitSource", () => {
  test("reads what GitSource reads, through one process; links and missing files are undefined", async () => {
    const repo = await mkdtemp(join(tmpdir(), "msi-batch-"));
    try {
      await git(repo, "init", "-q");
      await put(repo, "a/Makefile", "obj-y += a.o\n");
      await put(repo, "a/a.c", "int a;\n".repeat(5000));
      await writeFile(join(repo, "a/bin.o"), Buffer.from([0, 10, 255, 10, 0]));
      await put(repo, "a/empty.c", "");
      await execFileAsync("ln", ["-s", "../../etc/passwd", join(repo, "a/link.c")]);
      await git(repo, "add", "-A");
      await git(repo, "commit", "-q", "-m", "x");
      const plain = new GitSource(repo, "HEAD");
      const batched = new BatchedGitSource(repo, "HEAD");
      try {
        assert.deepEqual(await batched.list("a"), await plain.list("a"));
        const paths = ["a/Makefile", "a/a.c", "a/bin.o", "a/empty.c", "a/link.c", "a/none.c", "a/a.c"];
        const [fromBatch, fromPlain] = await Promise.all([
          Promise.all(paths.map((path) => batched.read(path))),
          Promise.all(paths.map((path) => plain.read(path))),
        ]);
        assert.deepEqual(fromBatch, fromPlain);
        assert.equal(fromBatch[1]?.length, 7 * 5000);
        assert.equal(fromBatch[4], undefined, "a symbolic link is not read");
        assert.equal(fromBatch[5], undefined);
      } finally {
        batched.close();
      }
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe("pure parts", () => {
  test("parseNameStatus reads renames, copies, deletions", () => {
    const out = [
      "M",
      "a.c",
      "R087",
      "old.c",
      "new.c",
      "D",
      "gone.c",
      "A",
      "added.c",
      "C100",
      "src.c",
      "copy.c",
      "",
    ].join("\0");
    assert.deepEqual(parseNameStatus(out), [
      { path: "a.c", status: "modified" },
      { path: "new.c", status: "renamed", previousPath: "old.c" },
      { path: "gone.c", status: "removed" },
      { path: "added.c", status: "added" },
      { path: "copy.c", status: "added" },
    ]);
    assert.deepEqual(touchedPaths(parseNameStatus(out)), [
      "a.c",
      "added.c",
      "copy.c",
      "gone.c",
      "new.c",
      "old.c",
    ]);
  });

  test("markNew: new exactly when the fingerprint is absent at the base", () => {
    const old = finding({ file: "d/a.c", line: 10, fingerprint: "same" });
    const moved = finding({ file: "d/a.c", line: 12, fingerprint: "same" });
    const added = finding({ file: "d/a.c", line: 30, fingerprint: "added" });
    const fixed = finding({ file: "d/b.c", line: 5, fingerprint: "fixed" });
    const head = report([driver({ unit: "d", status: "double-release", findings: [moved, added] })]);
    const baseReport = report([driver({ unit: "d", status: "double-release", findings: [old, fixed] })]);
    const { report: marked, resolved } = markNew(head, baseReport);
    assert.deepEqual(
      marked.drivers[0]!.findings.map((f) => [f.line, f.new]),
      [
        [12, false],
        [30, true],
      ],
    );
    assert.deepEqual(
      resolved.map((f) => f.fingerprint),
      ["fixed"],
    );
    assert.equal(head.drivers[0]!.findings[0]!.new, undefined, "the input report is not modified");
  });

  test("markNew: a finding in a renamed file is the same finding", () => {
    const step = {
      line: 3,
      column: 1,
      role: "release" as const,
      function: "x_remove",
      text: "pci_free_irq_vectors(pdev)",
    };
    const atBase = finding({
      file: "d/old.c",
      line: 10,
      fingerprint: "fp-old",
      evidence: [{ ...step, file: "d/old.c" }],
    });
    const atHead = finding({
      file: "d/new.c",
      line: 11,
      fingerprint: "fp-new",
      evidence: [{ ...step, file: "d/new.c", line: 4 }],
    });
    const other = finding({
      file: "d/new.c",
      line: 20,
      fingerprint: "fp-other",
      ruleId: "msi-implicit-managed",
    });
    const head = report([driver({ unit: "d", status: "double-release", findings: [atHead, other] })]);
    const baseReport = report([driver({ unit: "d", status: "double-release", findings: [atBase] })]);
    const renamed = [{ path: "d/new.c", status: "renamed" as const, previousPath: "d/old.c" }];
    const { report: marked, resolved } = markNew(head, baseReport, renamed);
    assert.deepEqual(
      marked.drivers[0]!.findings.map((f) => f.new),
      [false, true],
    );
    assert.deepEqual(resolved, []);
    assert.deepEqual(
      markNew(head, baseReport).report.drivers[0]!.findings.map((f) => f.new),
      [true, true],
      "without the rename: new",
    );
  });
});

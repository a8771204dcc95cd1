/**
 * The WebAssembly fallback (web-tree-sitter, src/parse/backend.ts) gives the report the native
 * addon gives: the CLI run with MSI_OWNERSHIP_PARSER=native and =wasm on the fixture trees and,
 * with KERNEL_TREE set, on drivers/ of the tree (Linux 6.12: about 30 s for both); and the fallback taken on its own where no addon
 * can load (`node --no-addons`), said once.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runProgram, type Run } from "./helpers/run.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixtures = join(root, "test/fixtures");
const kernelTree = process.env.KERNEL_TREE;
const scratch = mkdtempSync(join(tmpdir(), "msi-wasm-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The CLI from the sources, with `parser` forced (undefined: the automatic choice). */
function cli(args: string[], parser: string | undefined, nodeFlags: string[] = []): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, MSI_OWNERSHIP_PARSER: parser ?? "" };
  return runProgram(process.execPath, [...nodeFlags, "--import", "tsx", join(root, "src/bin.ts"), ...args], {
    cwd: root,
    env,
  });
}

interface JsonReport {
  drivers: unknown[];
  stats: { durationMs: number; filesParsed: number };
}

/** The JSON report of an audit, without its duration (the only figure that may differ). */
async function audit(tree: string, paths: string[], parser: string | undefined, extra: string[] = []) {
  const run = await cli(
    ["audit", "--root", tree, "--format", "json", "--no-cache", "--fail-on", "never", ...extra, ...paths],
    parser,
  );
  assert.equal(run.status, 0, run.stderr);
  const report = JSON.parse(run.stdout) as JsonReport;
  return { report: { ...report, stats: { ...report.stats, durationMs: 0 } }, stderr: run.stderr };
}

const NOTE = /no native tree-sitter addon fits this machine/g;

describe("the WebAssembly parser", () => {
  for (const tree of ["patterns", "audit-tree", "fix"]) {
    it(`gives the native report on test/fixtures/${tree}, on one thread and on workers`, async () => {
      for (const jobs of ["1", "2"]) {
        const native = await audit(join(fixtures, tree), ["."], "native", ["--jobs", jobs]);
        const wasm = await audit(join(fixtures, tree), ["."], "wasm", ["--jobs", jobs]);
        assert.ok(native.report.drivers.length > 0, "the fixture tree has drivers");
        assert.deepEqual(wasm.report, native.report);
        // Forced, the fallback is no surprise: nothing is said.
        assert.doesNotMatch(wasm.stderr, NOTE);
      }
    });
  }

  it("writes the native patches with fix", async () => {
    const patches: Record<string, string>[] = [];
    for (const parser of ["native", "wasm"]) {
      const out = join(scratch, `fix-${parser}`);
      const run = await cli(
        [
          "fix",
          "--root",
          join(fixtures, "fix"),
          "--output-dir",
          out,
          "--from",
          "A Developer <dev@example.org>",
          "--date",
          "2026-01-01T00:00:00Z",
          "--no-cache",
          ".",
        ],
        parser,
      );
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
      const files = readdirSync(out).sort();
      patches.push(Object.fromEntries(files.map((name) => [name, readFileSync(join(out, name), "utf8")])));
    }
    assert.ok(Object.keys(patches[0] ?? {}).length > 0, "the fix fixture makes patches");
    assert.deepEqual(patches[1], patches[0]);
  });

  it("is taken where no addon loads, said once on stderr even with worker threads", async () => {
    const native = await audit(join(fixtures, "patterns"), ["."], "native", ["--jobs", "2"]);
    const run = await cli(
      ["audit", "--root", join(fixtures, "patterns"), "--format", "json", "--no-cache", "--jobs", "2", "."],
      undefined,
      ["--no-addons"],
    );
    assert.ok(run.status === 0 || run.status === 1, run.stderr);
    assert.equal(run.stderr.match(NOTE)?.length, 1, run.stderr);
    const report = JSON.parse(run.stdout) as JsonReport;
    assert.deepEqual({ ...report, stats: { ...report.stats, durationMs: 0 } }, native.report);
  });

  it("is not needed for --version and --help, nor is the addon", async () => {
    for (const args of [["--version"], ["--help"], ["audit", "--help"]]) {
      const run = await cli(args, "native", ["--no-addons"]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr, "");
    }
  });

  it("refuses a forced parser that cannot run, or a malformed choice, in one line", async () => {
    const args = ["audit", "--root", join(fixtures, "patterns"), "--no-cache", "."];
    const forced = await cli(args, "native", ["--no-addons"]);
    assert.equal(forced.status, 2);
    assert.match(
      forced.stderr,
      /^msi-ownership: MSI_OWNERSHIP_PARSER=native: no native tree-sitter addon fits[^\n]*\n$/,
    );
    const malformed = await cli(args, "java");
    assert.equal(malformed.status, 2);
    assert.equal(malformed.stderr, "msi-ownership: MSI_OWNERSHIP_PARSER=java: expected native or wasm\n");
  });

  it(
    "gives the native report on drivers/ of the kernel tree",
    { skip: kernelTree === undefined ? "KERNEL_TREE is not set" : false },
    async () => {
      const tree = kernelTree as string;
      const paths = ["drivers"];
      const native = await audit(tree, paths, "native");
      const wasm = await audit(tree, paths, "wasm");
      assert.ok(native.report.stats.filesParsed > 0, "files were parsed");
      assert.ok(native.report.drivers.length > 100, "the drivers are found");
      assert.deepEqual(wasm.report, native.report);
    },
  );
});

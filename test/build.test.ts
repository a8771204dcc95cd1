/**
 * scripts/build.mjs and scripts/check-dist.sh: the bundles are byte-for-byte reproducible, and a
 * dist/ that differs from a fresh build is named file by file.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "msi-build-test-"));
const built = join(scratch, "dist");
after(() => rmSync(scratch, { recursive: true, force: true }));

async function checkDist(dir: string): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync("sh", [join(root, "scripts/check-dist.sh"), dir], {
      encoding: "utf8",
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("the build", () => {
  before(async () => {
    await execFileAsync(process.execPath, [join(root, "scripts/build.mjs"), "--outdir", built]);
  });

  it("makes CommonJS bundles with the CLI runnable as a program", () => {
    const files = readdirSync(built).sort();
    assert.ok(files.includes("cli.js") && files.includes("package.json"), files.join(", "));
    assert.deepEqual(JSON.parse(readFileSync(join(built, "package.json"), "utf8")), { type: "commonjs" });
    assert.ok(readFileSync(join(built, "cli.js"), "utf8").startsWith("#!/usr/bin/env node\n"));
  });

  it("carries the addons for Linux, macOS and Windows, and the WebAssembly fallback beside them", async () => {
    const cli = readFileSync(join(built, "cli.js"), "utf8");
    for (const platform of ["linux", "darwin", "win32"].flatMap((os) => [`${os}-x64`, `${os}-arm64`])) {
      // One payload per addon (tree-sitter, tree-sitter-c).
      assert.equal(cli.match(new RegExp(`"${platform}": \\{`, "g"))?.length, 2, platform);
    }
    // A copy of dist/ with no node_modules anywhere above it; `--no-addons` stands for a machine
    // no bundled addon fits.
    const copy = join(scratch, "copy");
    cpSync(built, copy, { recursive: true });
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: scratch, TMPDIR: scratch };
    const reports: string[] = [];
    for (const flags of [[], ["--no-addons"]]) {
      const args = [
        "audit",
        "--root",
        join(root, "test/fixtures/patterns"),
        "--format",
        "json",
        "--no-cache",
      ];
      const run = await execFileAsync(
        process.execPath,
        [...flags, join(copy, "cli.js"), ...args, "--fail-on", "never", "."],
        {
          cwd: copy,
          env,
          encoding: "utf8",
        },
      );
      const fallback = run.stderr.match(/parsing with the WebAssembly build instead/g)?.length ?? 0;
      assert.equal(fallback, flags.length, run.stderr);
      reports.push(run.stdout.replace(/"durationMs": \d+/, ""));
    }
    assert.match(reports[0] ?? "", /"status": "double-release"/);
    assert.equal(reports[1], reports[0]);
  });

  it("is reproducible: a second build matches the first byte for byte", async () => {
    const run = await checkDist(built);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /dist\/ is up to date/);
  });

  it("names the files that differ when dist/ is stale", async () => {
    const stale = join(scratch, "stale");
    cpSync(built, stale, { recursive: true });
    writeFileSync(join(stale, "cli.js"), `${readFileSync(join(stale, "cli.js"), "utf8")}\n// edited`);
    rmSync(join(stale, "package.json"));
    const run = await checkDist(stale);
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^dist\/ is stale: run npm run build and commit\. Differing files: dist\/cli\.js dist\/package\.json\n$/,
    );
  });
});

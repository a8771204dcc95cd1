/**
 * Installable: `npm pack` makes a tarball that `npm install -g` puts on the PATH as
 * `msi-ownership`, in a clean prefix, and that audits a fixture tree. The bundled dist/ needs no
 * node_modules, so the install skips install scripts and takes dependencies from npm's cache.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const REPO = new URL("..", import.meta.url).pathname;
const PATTERNS = join(REPO, "test/fixtures/patterns");

describe("the npm package", () => {
  const scratch = mkdtempSync(join(tmpdir(), "msi-install-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("installs from its tarball as the msi-ownership command, which audits a fixture tree", () => {
    const npm = (args: string[], cwd = scratch): string =>
      execFileSync("npm", args, {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 300_000,
      });
    npm(["pack", "--silent", "--pack-destination", scratch, REPO]);
    const tarball = readdirSync(scratch).find((name) => name.endsWith(".tgz"));
    assert.ok(tarball, "npm pack wrote no tarball");
    const listing = execFileSync("tar", ["-tzf", join(scratch, tarball)], { encoding: "utf8" });
    for (const file of [
      "package/dist/cli.js",
      "package/dist/tree-sitter-c.wasm",
      "package/schemas/report.schema.json",
    ])
      assert.ok(listing.includes(file), `${file} is not in the tarball`);
    assert.ok(!listing.includes("package/test/"), "the tests are not shipped");

    const prefix = join(scratch, "prefix");
    npm([
      "install",
      "-g",
      "--prefix",
      prefix,
      "--prefer-offline",
      "--ignore-scripts",
      "--omit=dev",
      "--no-audit",
      "--no-fund",
      join(scratch, tarball),
    ]);
    const bin = join(prefix, "bin", "msi-ownership");
    assert.ok(existsSync(bin), `${bin} is not on the prefix's PATH`);
    const env = {
      ...process.env,
      PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}`,
      XDG_CACHE_HOME: scratch,
    };
    const version = spawnSync("msi-ownership", ["--version"], { env, encoding: "utf8" });
    assert.equal(version.status, 0, version.stderr);
    const audit = spawnSync(
      "msi-ownership",
      ["audit", "--root", PATTERNS, "--format", "json", "--fail-on", "never"],
      {
        env,
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    assert.equal(audit.status, 0, audit.stderr);
    const report = JSON.parse(audit.stdout) as { schema: string; drivers: unknown[] };
    assert.equal(report.schema, "msi-ownership/report@1");
    assert.ok(report.drivers.length > 10, `${report.drivers.length} drivers`);
  });
});

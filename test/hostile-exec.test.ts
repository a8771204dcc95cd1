/**
 * Nothing from the checkout is executed or evaluated. A hostile tree plants what would run if
 * it were: Makefile `$(shell ...)`, file names that are shell commands or git options, npm
 * scripts, JavaScript config and dangerfiles, git hooks in the checkout's .git; the CLI audits
 * and checks it, and no marker file appears. A source scan keeps every child process an
 * argument-array `execFile`/`spawn` of git, with no shell.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import type { Report } from "../src/report/types.js";
import { git } from "./helpers/git.js";

const execFileAsync = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TEMPLATE = join(ROOT, "test/fixtures/patterns/drivers/misc/managed-free-in-remove.c");

async function template(prefix: string): Promise<string> {
  return (await readFile(TEMPLATE, "utf8")).replace(/frm/g, prefix);
}

/** Every file under `dir` whose name says it was made by a planted command. */
async function markers(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.name.startsWith("pwned") && !entry.isSymbolicLink()) {
      found.push(
        relative(dir, join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)),
      );
    }
  }
  return found;
}

/** File names that are commands to a shell or options to git, each a driver. */
const HOSTILE_NAMES = [
  "$(touch pwned-name-1).c",
  "`touch pwned-name-2`.c",
  "; touch pwned-name-3 ;.c",
  "--upload-pack=touch pwned-name-4.c",
  "-c core.pager=touch pwned-name-5.c",
  "| touch pwned-name-6.c",
];

describe("nothing from the checkout runs", { concurrency: false }, () => {
  let scratch: string;
  let workspace: string;
  let cwd: string;
  let baseSha: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-exec-"));
    const origin = join(scratch, "origin");
    await mkdir(join(origin, "drivers/good"), { recursive: true });
    await git(origin, "init", "-q", "-b", "main");
    await writeFile(join(origin, "drivers/good/Makefile"), "obj-$(CONFIG_GOOD) += good.o\n");
    await writeFile(join(origin, "drivers/good/good.c"), await template("good"));
    await git(origin, "add", "-A");
    await git(origin, "commit", "-q", "-m", "base");
    baseSha = await git(origin, "rev-parse", "HEAD");

    const evil = join(origin, "drivers/evil");
    await mkdir(evil, { recursive: true });
    await writeFile(
      join(evil, "Makefile"),
      [
        "obj-m += evil.o $(shell touch pwned-make-1).o",
        "evil-y := evil_main.o",
        "include $(shell touch pwned-make-2)",
        "$(info $(shell touch pwned-make-3))",
        "all:",
        "\ttouch pwned-make-4",
        "",
      ].join("\n"),
    );
    await writeFile(join(evil, "evil_main.c"), await template("ev"));
    for (const [index, name] of HOSTILE_NAMES.entries())
      await writeFile(join(evil, name), await template(`hn${index}`));
    await writeFile(
      join(origin, "package.json"),
      JSON.stringify({
        name: "evil",
        scripts: {
          preinstall: "touch pwned-npm-1",
          postinstall: "touch pwned-npm-2",
          test: "touch pwned-npm-3",
        },
        main: "index.js",
      }),
    );
    const js = "require('node:fs').writeFileSync(require('node:path').join(__dirname, 'pwned-js'), '');\n";
    for (const name of [
      "index.js",
      "dangerfile.js",
      "dangerfile.ts",
      "msi-ownership.config.js",
      ".eslintrc.js",
    ])
      await writeFile(join(origin, name), js);
    await writeFile(join(origin, ".gitattributes"), "*.c diff=evil filter=evil\n");
    await git(origin, "add", "-A");
    await git(origin, "commit", "-q", "-m", "head");

    // The workspace as actions/checkout leaves it (one commit; the base must be fetched), with
    // hooks and config in its .git that run commands if git ever consults them.
    workspace = join(scratch, "workspace");
    await git(scratch, "clone", "-q", "--depth", "1", `file://${origin}`, workspace);
    const hooks = join(workspace, ".git/hooks");
    for (const hook of [
      "reference-transaction",
      "post-checkout",
      "post-merge",
      "post-index-change",
      "pre-auto-gc",
      "post-rewrite",
      "fsmonitor-watchman",
    ]) {
      await writeFile(join(hooks, hook), `#!/bin/sh\ntouch "${scratch}/pwned-hook-${hook}"\n`);
      await chmod(join(hooks, hook), 0o755);
    }
    // A diff driver the runner's config might define, named by the checkout's .gitattributes:
    // listing changed files never converts text. (Filter drivers are another matter: git
    // applies a configured `clean` filter when it compares working-tree files; see
    // the README, "Security". The checkout can name one but cannot define it.)
    await git(workspace, "config", "diff.evil.textconv", `touch ${scratch}/pwned-textconv;cat`);
    await git(workspace, "config", "diff.evil.command", `touch ${scratch}/pwned-extdiff`);
    cwd = join(scratch, "cwd");
    await mkdir(cwd);
    assert.deepEqual(await markers(scratch), [], "setting up ran a planted command");
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), join(ROOT, "src/bin.ts"), ...args],
        { cwd, env: { ...process.env, XDG_CACHE_HOME: join(scratch, "cache") }, maxBuffer: 1 << 26 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  test("audit: the hostile names are analysed as data; nothing ran", async () => {
    const result = await cli(
      "audit",
      "--root",
      workspace,
      "--format",
      "json",
      "--jobs",
      "1",
      "--fail-on",
      "never",
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    const units = report.drivers.map((driver) => driver.unit);
    for (const name of HOSTILE_NAMES) assert.ok(units.includes(`drivers/evil/${name.slice(0, -2)}`), name);
    assert.ok(units.includes("drivers/evil"));
    assert.deepEqual(await markers(scratch), []);
  });

  test("check against a base that must be fetched: git runs, nothing planted does", async () => {
    const result = await cli(
      "check",
      "--base",
      baseSha,
      "--root",
      workspace,
      "--format",
      "json",
      "--jobs",
      "1",
    );
    assert.equal(result.code, 1, `new double releases fail the check: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as Report;
    const units = report.drivers.map((driver) => driver.unit);
    for (const name of HOSTILE_NAMES) assert.ok(units.includes(`drivers/evil/${name.slice(0, -2)}`), name);
    assert.deepEqual(await markers(scratch), []);
  });

  test("a revision that looks like an option is refused, naming it", async () => {
    const result = await cli(
      "check",
      "--base",
      `--upload-pack=touch ${join(scratch, "pwned-rev")}`,
      "--root",
      workspace,
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /base revision '--upload-pack=touch .*': not a revision name/);
    assert.deepEqual(await markers(scratch), []);
  });

  test("the sources start processes only as argument arrays of git, without a shell", async () => {
    const files = (await readdir(join(ROOT, "src"), { recursive: true })).filter((file) =>
      file.endsWith(".ts"),
    );
    const users: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, "src", file), "utf8");
      // Dynamic imports and requires take only literal module names of the package itself (the
      // worker's bootstrap imports tsx and its entry, both resolved from this package).
      assert.doesNotMatch(text, /\brequire\(|import\((?!["'.]|\$\{JSON\.stringify\((?:tsx|entry)\))/, file);
      if (!text.includes("node:child_process")) continue;
      users.push(file);
      assert.doesNotMatch(
        text,
        /(?<![.\w])exec(?:Sync)?\(|\bexecSync\b|shell:\s*true/,
        `${file} runs a shell`,
      );
      for (const call of text.matchAll(
        /\b(?:execFile|execFileSync|execFileAsync|spawn|spawnSync|fork)\(\s*("[^"]*"|[^,\s)]*)\s*,\s*(\[?)/g,
      )) {
        assert.deepEqual(
          [call[1], call[2]],
          ['"git"', "["],
          `${file}: ${call[0]}: not git with an argument array`,
        );
      }
    }
    assert.ok(users.includes("scan/source.ts") && users.includes("diff/git-batch.ts"), users.join(", "));
  });
});

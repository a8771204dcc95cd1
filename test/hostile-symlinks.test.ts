/**
 * Symbolic links in a hostile checkout: a link to a file or folder outside the root (/etc, the
 * runner's home, a sibling folder with secrets) is never read and its contents never reported;
 * link loops end; named pipes are never opened (a read would block). On disk (FsSource) and in
 * git (symlink blobs are never read).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { analyze } from "../src/analyze.js";
import { checkChange } from "../src/diff/check.js";
import { BatchedGitSource } from "../src/diff/git-batch.js";
import { readMaintainers } from "../src/report/index.js";
import { FsSource, GitSource, InputError } from "../src/scan/source.js";
import { git } from "./helpers/git.js";

const execFileAsync = promisify(execFile);
const TEMPLATE = new URL("fixtures/patterns/drivers/misc/managed-free-in-remove.c", import.meta.url).pathname;
/** In every file outside the root: it must never show up in a report. */
const SECRET = "c0ffee5ec7e7";

async function template(prefix: string): Promise<string> {
  return (await readFile(TEMPLATE, "utf8")).replace(/frm/g, prefix);
}

/** A driver whose function names carry the secret: reading it would put it in the report. */
async function secretDriver(): Promise<string> {
  return template(`leak_${SECRET}`);
}

describe("symbolic links and special files", { concurrency: false }, () => {
  let scratch: string;
  let root: string;
  let outside: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-links-"));
    root = join(scratch, "tree");
    outside = join(scratch, "outside");
    await mkdir(join(outside, "dir"), { recursive: true });
    await writeFile(join(outside, "secret.c"), await secretDriver());
    await writeFile(join(outside, "dir", "leak.c"), await secretDriver());
    await writeFile(
      join(outside, "MAINTAINERS"),
      `SECRET ${SECRET}\nM:\tMallory <m@${SECRET}.org>\nF:\tdrivers/\n`,
    );

    const x = join(root, "drivers", "x");
    await mkdir(x, { recursive: true });
    await mkdir(join(root, "drivers", "loop"), { recursive: true });
    await writeFile(join(x, "real.c"), await template("real"));
    await symlink("/etc", join(x, "to-etc"));
    await symlink("/etc/passwd", join(x, "passwd.c"));
    await symlink(homedir(), join(x, "home"));
    await symlink("../../../outside/secret.c", join(x, "secret.c"));
    await symlink(join(outside, "dir"), join(x, "outdir"));
    await symlink("real.c", join(x, "alias.c"));
    await symlink("..", join(root, "drivers", "loop", "up"));
    await symlink("self", join(root, "drivers", "loop", "self"));
    await symlink("b", join(root, "drivers", "loop", "a"));
    await symlink("a", join(root, "drivers", "loop", "b"));
    await symlink(join(outside, "MAINTAINERS"), join(root, "MAINTAINERS"));
    // Named pipes: opening one for reading blocks until a writer comes, which never does.
    await execFileAsync("mkfifo", [join(x, "fifo.c"), join(x, "Makefile"), join(root, "Makefile")]);
    await symlink("fifo.c", join(x, "to-fifo.c"));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test("the walk lists nothing outside the root, and link loops end", async () => {
    const source = await FsSource.open(root);
    const paths = (await source.list("drivers")).map((file) => file.path);
    assert.ok(paths.includes("drivers/x/real.c"));
    assert.ok(paths.includes("drivers/x/alias.c"), "a link inside the root is followed");
    for (const path of paths) {
      assert.doesNotMatch(path, /to-etc|passwd|home|secret|outdir|fifo|Makefile|loop\/(a|b|self)$/, path);
    }
    // A link to a directory is not entered (as git and grep -r do): `up -> ..` lists nothing, so
    // no file is reported twice.
    assert.deepEqual(
      paths.filter((path) => path.endsWith("/real.c")),
      ["drivers/x/real.c"],
    );
    assert.ok(!paths.some((path) => path.startsWith("drivers/loop/up/")), paths.join("\n"));
  });

  test("reads through links that leave the root give nothing", async () => {
    const source = await FsSource.open(root);
    for (const path of [
      "drivers/x/secret.c",
      "drivers/x/passwd.c",
      "drivers/x/outdir/leak.c",
      "drivers/x/to-etc/passwd",
      "drivers/x/home/.bashrc",
      "drivers/loop/self",
      "drivers/loop/a",
      "../outside/secret.c",
      "drivers/../../outside/secret.c",
      "/etc/passwd",
      "MAINTAINERS",
      "drivers/x/fifo.c",
      "drivers/x/to-fifo.c",
      "drivers/x/Makefile",
      "Makefile",
    ]) {
      assert.equal(await source.read(path), undefined, path);
    }
    assert.ok((await source.read("drivers/x/alias.c"))?.toString().includes("real_probe"));
    assert.equal(await readMaintainers(root), undefined, "MAINTAINERS links out of the tree");
  });

  test("the audit reports nothing from outside, and a path that leaves the root is refused", async () => {
    const report = await analyze(await FsSource.open(root), { cache: false, jobs: 1 });
    const text = JSON.stringify(report);
    assert.ok(!text.includes(SECRET), "a secret from outside the root is in the report");
    assert.ok(!text.includes("root:x:0:0"), "/etc/passwd is in the report");
    assert.ok(report.drivers.some((driver) => driver.unit === "drivers/x/real"));
    for (const paths of [
      ["drivers/x/outdir"],
      ["drivers/x/secret.c"],
      ["drivers/x/to-etc"],
      ["../outside"],
    ]) {
      await assert.rejects(
        analyze(await FsSource.open(root), { cache: false, jobs: 1, paths }),
        (error: Error) => error instanceof InputError && error.message.includes(paths[0] as string),
        paths[0],
      );
    }
  });

  test("git: symbolic links committed to the tree are never read, at base or head", async () => {
    const repo = join(scratch, "repo");
    await mkdir(join(repo, "drivers", "x"), { recursive: true });
    await git(repo, "init", "-q", "-b", "main");
    await writeFile(join(repo, "drivers/x/real.c"), await template("real"));
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "base");
    const base = await git(repo, "rev-parse", "HEAD");
    await symlink("/etc/passwd", join(repo, "drivers/x/passwd.c"));
    await symlink(join(outside, "secret.c"), join(repo, "drivers/x/secret.c"));
    await symlink(join(outside, "dir"), join(repo, "drivers/x/outdir"));
    await writeFile(join(repo, "drivers/x/real.c"), `${await template("real")}\n/* touched */\n`);
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "head");
    const head = await git(repo, "rev-parse", "HEAD");

    const listed = (await new GitSource(repo, head).list("")).map((file) => file.path);
    assert.deepEqual(listed, ["drivers/x/real.c"]);
    const batched = new BatchedGitSource(repo, head);
    try {
      assert.equal(await batched.read("drivers/x/passwd.c"), undefined);
      assert.equal(await batched.read("drivers/x/secret.c"), undefined);
      assert.ok((await batched.read("drivers/x/real.c"))?.toString().includes("real_probe"));
    } finally {
      batched.close();
    }
    // Head as a revision (git) and as the working tree (disk, where the links exist).
    for (const options of [{ head }, {}]) {
      const result = await checkChange({ root: repo, base, ...options, cache: false, jobs: 1 });
      const text = JSON.stringify(result);
      assert.ok(!text.includes(SECRET));
      assert.ok(!text.includes("root:x:0:0"));
      assert.deepEqual(
        result.report.drivers.map((driver) => driver.unit),
        ["drivers/x/real"],
      );
    }
  });
});

/**
 * What the end-to-end Danger tests share: a kernel-style git repository whose head adds a
 * double release, an "action checkout" (the dangerfile beside a fresh dist/), and the real
 * `danger ci` run in it.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { git } from "./git.js";

export const execFileAsync = promisify(execFile);
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixtures = join(projectRoot, "test", "fixtures", "danger");
const dangerBin = join(projectRoot, "node_modules", ".bin", "danger");
export const DRIVER = "drivers/misc/skel/skel_main.c";

/**
 * A kernel-style tree: base has an implicit-managed driver, the head adds a double release
 * (and `appended`, lines added at the end of the driver).
 */
export async function makeKernelRepository(
  dir: string,
  appended = "",
): Promise<{ base: string; head: string; patch: string }> {
  await mkdir(join(dir, "drivers/misc/skel"), { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  await copyFile(join(fixtures, "Makefile"), join(dir, "drivers/misc/skel/Makefile"));
  await copyFile(join(fixtures, "skel_main-base.c"), join(dir, DRIVER));
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "-m", "skel: add the skel driver");
  const base = await git(dir, "rev-parse", "HEAD");
  await git(dir, "checkout", "-q", "-b", "topic");
  await writeFile(join(dir, DRIVER), (await readFile(join(fixtures, "skel_main-head.c"), "utf8")) + appended);
  await git(dir, "commit", "-q", "-a", "-m", "skel: free the MSI vectors in remove()");
  const head = await git(dir, "rev-parse", "HEAD");
  const diff = await git(dir, "diff", base, head, "--", DRIVER);
  // GitHub's `patch` field: the hunks, without the file headers.
  const patch = diff.slice(diff.indexOf("@@"));
  return { base, head, patch };
}

export interface DangerRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runDanger(
  cwd: string,
  dangerfile: string,
  env: Record<string, string>,
): Promise<DangerRun> {
  try {
    const { stdout, stderr } = await execFileAsync(
      dangerBin,
      ["ci", "--id", "msi-ownership", "--failOnErrors", "--dangerfile", dangerfile],
      {
        cwd,
        env,
        timeout: 120_000,
        maxBuffer: 1 << 24,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The action's checkout: the dangerfile beside a bundle built from the current sources. */
export async function makeActionCheckout(dir: string): Promise<void> {
  await copyFile(join(projectRoot, "dangerfile.ts"), join(dir, "dangerfile.ts"));
  await execFileAsync(
    process.execPath,
    [join(projectRoot, "scripts", "build.mjs"), "--outdir", join(dir, "dist")],
    {
      cwd: projectRoot,
      maxBuffer: 1 << 24,
    },
  );
}

/**
 * The Linux 6.12 tree the kernel-tree tests read: KERNEL_TREE, unpacked by
 * scripts/install-kernel-tree.sh. Without it, each such suite is one skipped test, so the
 * runner's `# skipped` count shows what did not run.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

export const KERNEL_TREE = process.env.KERNEL_TREE;

export const kernelTreeSkip =
  KERNEL_TREE === undefined || KERNEL_TREE === "" || !existsSync(join(KERNEL_TREE, "drivers"))
    ? "KERNEL_TREE is not set to an unpacked linux-source-6.12 (scripts/install-kernel-tree.sh)"
    : false;

/** A suite of kernel-tree tests, or one skipped test naming why it cannot run. */
export function describeKernelTree(name: string, body: () => void): void {
  if (kernelTreeSkip !== false) it(name, { skip: kernelTreeSkip }, () => {});
  else describe(name, body);
}

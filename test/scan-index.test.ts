/**
 * The scan index (src/scan/scan-index.ts): an audit of an unchanged tree reads no source file
 * again, a changed file is read whatever its size, and an index that is corrupt or from another
 * tree changes nothing but the speed.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyze } from "../src/analyze.js";
import type { Report } from "../src/report/types.js";
import { FsSource, type TreeSource } from "../src/scan/source.js";

const PATTERNS = new URL("fixtures/patterns/", import.meta.url).pathname;
const FILE = "drivers/misc/managed-free-in-remove.c";

function withoutStats(report: Report): Omit<Report, "stats"> {
  const { stats: _stats, ...rest } = report;
  return rest;
}

/** A copy of the patterns tree whose files were last modified `ageMs` ago. */
function copyOfPatterns(ageMs = 60_000): string {
  const root = mkdtempSync(join(tmpdir(), "msi-index-tree-"));
  cpSync(PATTERNS, root, { recursive: true });
  const then = new Date(Date.now() - ageMs);
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) utimesSync(join(entry.parentPath, entry.name), then, then);
  }
  return root;
}

/**
 * An FsSource that counts the .c files read, here or (through localPath) by a scan worker;
 * without `local`, it has no localPath and every file is read here.
 */
async function counting(root: string, local = true): Promise<{ source: TreeSource; reads: () => number }> {
  const inner = await FsSource.open(root);
  let reads = 0;
  const source: TreeSource = {
    root: inner.root,
    list: (dir) => inner.list(dir),
    read: (path) => {
      if (path.endsWith(".c")) reads += 1;
      return inner.read(path);
    },
    stat: (path) => inner.stat(path),
  };
  if (local) {
    source.localPath = (path) => {
      if (path.endsWith(".c")) reads += 1;
      return inner.localPath(path);
    };
  }
  return { source, reads: () => reads };
}

describe("the scan index", () => {
  for (const [local, how] of [
    [true, "read by the scan workers"],
    [false, "read in the main thread"],
  ] as const) {
    it(`lets an audit of an unchanged tree read no source file (${how}), with the same report`, async () => {
      const root = copyOfPatterns();
      const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
      const first = await counting(root, local);
      const cold = await analyze(first.source, { jobs: 2, cache });
      assert.ok(first.reads() > 0);
      const second = await counting(root, local);
      const warm = await analyze(second.source, { jobs: 2, cache });
      assert.equal(second.reads(), 0);
      assert.deepEqual(withoutStats(warm), withoutStats(cold));
      assert.equal(warm.stats.filesParsed, cold.stats.filesParsed);
    });
  }

  it("is not used by a whole parse, the reference the prefilter is tested against", async () => {
    const root = copyOfPatterns();
    const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
    const prefiltered = await analyze(await FsSource.open(root), { jobs: 1, cache });
    const whole = await analyze(await FsSource.open(root), { jobs: 1, cache, prefilter: false });
    const wholeUncached = await analyze(await FsSource.open(root), {
      jobs: 1,
      cache: false,
      prefilter: false,
    });
    assert.ok(whole.stats.filesParsed > prefiltered.stats.filesParsed);
    assert.equal(whole.stats.filesParsed, wholeUncached.stats.filesParsed);
  });

  it("keeps the warnings of a module it does not record: a file over the parse limit", async () => {
    const root = copyOfPatterns();
    const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
    const huge = join(root, "drivers/misc/huge-table.c");
    const row = "\t0x00000000, 0x00000000, 0x00000000, 0x00000000,\n";
    writeFileSync(
      huge,
      `static const u32 table[] = {\n${row.repeat(Math.ceil((4.5 * 2 ** 20) / row.length))}};\n` +
        "static void huge_teardown(struct pci_dev *pdev)\n{\n\tpci_free_irq_vectors(pdev);\n}\n",
    );
    const then = new Date(Date.now() - 60_000);
    utimesSync(huge, then, then);
    const cold = await analyze(await FsSource.open(root), { jobs: 1, cache });
    assert.ok(
      cold.warnings?.some((warning) => /huge-table\.c: skipped: 4\.\d MB, larger than/.test(warning)),
    );
    const warm = await analyze(await FsSource.open(root), { jobs: 1, cache });
    assert.deepEqual(warm.warnings, cold.warnings);
  });

  it("reads a file again when it changed, even at the same size", async () => {
    const root = copyOfPatterns();
    const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
    const before = await analyze(await FsSource.open(root), { jobs: 1, cache });
    const statusOf = (report: Report): string | undefined =>
      report.drivers.find((driver) => driver.files.includes(FILE))?.status;
    assert.equal(statusOf(before), "double-release");

    const path = join(root, FILE);
    const text = readFileSync(path, "utf8");
    const edited = text.replace("\tpci_free_irq_vectors(pdev);", "\t//i_free_irq_vectors(pdev);");
    assert.equal(edited.length, text.length);
    writeFileSync(path, edited);
    const after = await analyze(await FsSource.open(root), { jobs: 1, cache });
    assert.equal(statusOf(after), "implicit-managed");
    const fresh = await analyze(await FsSource.open(root), { jobs: 1, cache: false });
    assert.deepEqual(withoutStats(after), withoutStats(fresh));
  });

  it("does not trust files modified in the last seconds before the scan", async () => {
    const root = copyOfPatterns(0);
    const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
    await analyze(await FsSource.open(root), { jobs: 1, cache });
    const again = await counting(root);
    await analyze(again.source, { jobs: 1, cache });
    assert.ok(again.reads() > 0, "recently modified files are read again");
  });

  it("ignores a corrupt index and rewrites it", async () => {
    const root = copyOfPatterns();
    const cache = mkdtempSync(join(tmpdir(), "msi-index-cache-"));
    const cold = await analyze(await FsSource.open(root), { jobs: 1, cache });
    const indexDir = join(cache, "index");
    for (const name of readdirSync(indexDir))
      writeFileSync(join(indexDir, name), '{"format": "1", "files": [');
    const afterCorruption = await counting(root);
    const report = await analyze(afterCorruption.source, { jobs: 1, cache });
    assert.ok(afterCorruption.reads() > 0);
    assert.deepEqual(withoutStats(report), withoutStats(cold));
    const rewritten = await counting(root);
    await analyze(rewritten.source, { jobs: 1, cache });
    assert.equal(rewritten.reads(), 0);
  });
});

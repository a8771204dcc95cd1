/**
 * The report is the same (apart from `stats`) whatever --jobs, whether the facts cache is cold
 * or warm, and whether a tree is audited whole or in shards that are merged afterwards.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { analyze, type AnalyzeOptions } from "../src/analyze.js";
import { mergeReports } from "../src/report/merge.js";
import type { Report } from "../src/report/types.js";
import { shardOf } from "../src/scan/audit.js";
import { FsSource } from "../src/scan/source.js";

const ROOTS = ["patterns", "audit-tree"].map(
  (name) => new URL(`fixtures/${name}/`, import.meta.url).pathname,
);

function withoutStats(report: Report): Omit<Report, "stats"> {
  const { stats: _stats, ...rest } = report;
  return rest;
}

async function audit(root: string, options: AnalyzeOptions): Promise<Report> {
  return analyze(await FsSource.open(root), options);
}

for (const root of ROOTS) {
  describe(`the same report for ${root.split("/").at(-2)}`, () => {
    it("with 1, 2 and 3 parser threads", async () => {
      const one = await audit(root, { jobs: 1, cache: false });
      assert.ok(one.drivers.length > 0);
      for (const jobs of [2, 3])
        assert.deepEqual(withoutStats(await audit(root, { jobs, cache: false })), withoutStats(one));
    });

    it("from a cold and from a warm cache", async () => {
      const cache = mkdtempSync(join(tmpdir(), "msi-determinism-"));
      const cold = await audit(root, { jobs: 2, cache });
      const warm = await audit(root, { jobs: 2, cache });
      assert.equal(cold.stats.cacheHits, 0);
      assert.equal(warm.stats.cacheHits, warm.stats.filesParsed);
      assert.deepEqual(withoutStats(warm), withoutStats(cold));
    });

    it("whole, and in shards merged", async () => {
      const whole = await audit(root, { jobs: 1, cache: false });
      const count = 3;
      const shards: Report[] = [];
      for (let index = 1; index <= count; index++)
        shards.push(await audit(root, { jobs: 1, cache: false, shard: { index, count } }));
      for (const [i, shard] of shards.entries()) {
        for (const driver of shard.drivers) assert.equal(shardOf(driver.unit, count), i + 1);
      }
      assert.deepEqual(withoutStats(mergeReports(shards)), withoutStats(whole));
    });
  });
}

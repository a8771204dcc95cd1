/**
 * GitLab's Code Quality report (`--format codequality`): the fields GitLab documents
 * (test/schemas/gitlab-codequality.schema.json), one entry per finding, fingerprints equal to
 * SARIF's partialFingerprints, paths relative to the root; on the fixtures and on Linux 6.12.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { analyze } from "../src/analyze.js";
import { toCodeQuality } from "../src/report/codequality.js";
import { formatReport } from "../src/report/index.js";
import { FINGERPRINT_KEY, toSarif } from "../src/report/sarif.js";
import type { Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const schema = JSON.parse(
  readFileSync(new URL("schemas/gitlab-codequality.schema.json", import.meta.url), "utf8"),
) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function checkAgainstSarif(report: Report): number {
  const entries = JSON.parse(formatReport(report, "codequality")) as ReturnType<typeof toCodeQuality>;
  assert.ok(validate(entries), JSON.stringify(validate.errors));
  const findings = report.drivers.flatMap((driver) => driver.findings);
  assert.equal(entries.length, findings.length, "one entry per finding");
  const sarif = (toSarif(report).runs[0]?.results ?? []).map(
    (result) =>
      `${result.partialFingerprints?.[FINGERPRINT_KEY]}@${result.locations?.[0]?.physicalLocation?.artifactLocation?.uri}:${result.locations?.[0]?.physicalLocation?.region?.startLine}`,
  );
  assert.deepEqual(
    entries
      .map((entry) => `${entry.fingerprint}@${entry.location.path}:${entry.location.lines.begin}`)
      .sort(),
    sarif.sort(),
  );
  assert.equal(new Set(entries.map((entry) => entry.fingerprint)).size, entries.length, "every finding once");
  return entries.length;
}

describe("the Code Quality report", () => {
  it("has GitLab's fields, one entry per finding, SARIF's fingerprints and relative paths", async () => {
    for (const tree of ["patterns", "truth"]) {
      const root = new URL(`fixtures/${tree}/`, import.meta.url).pathname;
      const report = await analyze(await FsSource.open(root), { paths: ["drivers"], cache: false, jobs: 1 });
      assert.ok(checkAgainstSarif(report) > 5, tree);
      const severities = new Set(toCodeQuality(report).map((entry) => entry.severity));
      assert.deepEqual([...severities].sort(), ["major", "minor"]);
    }
  });
});

describeKernelTree("the Code Quality report of Linux 6.12", () => {
  it("has one valid entry per finding of drivers/", async () => {
    const report = await analyze(await FsSource.open(KERNEL_TREE as string), { paths: ["drivers"] });
    assert.ok(checkAgainstSarif(report) > 100);
  });
});

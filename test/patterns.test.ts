/**
 * One fixture per pattern (test/fixtures/patterns, written from scratch): each driver's status
 * and the rule and line of each finding.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { analyze } from "../src/analyze.js";
import type { Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";

const ROOT = new URL("fixtures/patterns/", import.meta.url).pathname;

/** unit (and driver) → status, and the findings as `rule@file:line`. */
const EXPECTED: Record<string, { status: string; findings: string[] }> = {
  "drivers/misc/managed-free-in-remove": {
    status: "double-release",
    findings: ["msi-double-release@managed-free-in-remove.c:37"],
  },
  "drivers/misc/free-on-probe-error-path": {
    status: "double-release",
    findings: ["msi-double-release@free-on-probe-error-path.c:31"],
  },
  "drivers/misc/msix-to-msi-fallback": {
    status: "implicit-managed",
    findings: [
      "msi-implicit-managed@msix-to-msi-fallback.c:15",
      "msi-implicit-managed@msix-to-msi-fallback.c:22",
    ],
  },
  "drivers/misc/release-on-branch-without-allocation": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@release-on-branch-without-allocation.c:24"],
  },
  "drivers/misc/mention-in-comment-and-string": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@mention-in-comment-and-string.c:20"],
  },
  "drivers/misc/if-zero-release": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@if-zero-release.c:14"],
  },
  "drivers/misc/intx-only-flags": { status: "no-msi", findings: [] },
  "drivers/misc/two-drivers-one-file#td_fast_driver": {
    status: "double-release",
    findings: ["msi-double-release@two-drivers-one-file.c:23"],
  },
  "drivers/misc/two-drivers-one-file#td_slow_driver": { status: "unmanaged", findings: [] },
  "drivers/split": { status: "double-release", findings: ["msi-double-release@split_irq.c:15"] },
  "drivers/samename/sn_alpha": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@sn_alpha.c:22"],
  },
  "drivers/samename/sn_beta": { status: "unmanaged", findings: [] },
  "drivers/misc/devm-action-frees-vectors": {
    status: "double-release",
    findings: ["msi-double-release@devm-action-frees-vectors.c:11"],
  },
  "drivers/misc/legacy-enable-msi": {
    status: "double-release",
    findings: ["msi-double-release@legacy-enable-msi.c:23"],
  },
  "drivers/misc/pcim-alloc-converted": { status: "converted", findings: [] },
  "drivers/misc/pcim-alloc-with-free": {
    status: "converted-double-release",
    findings: ["msi-converted-double-release@pcim-alloc-with-free.c:21"],
  },
  "drivers/misc/second-device-lookup": { status: "unmanaged", findings: [] },
  "drivers/misc/unmanaged-enable": { status: "unmanaged", findings: [] },
  "drivers/misc/suspend-resume-reallocation": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@suspend-resume-reallocation.c:12"],
  },
  "drivers/misc/pm-ops-behind-macro": {
    status: "implicit-managed",
    findings: [
      "msi-implicit-managed@pm-ops-behind-macro.c:18",
      "msi-implicit-managed@pm-ops-behind-macro.c:32",
    ],
  },
  "drivers/misc/macro-heavy": { status: "double-release", findings: ["msi-double-release@macro-heavy.c:68"] },
};

function keyOf(driver: Report["drivers"][number], report: Report): string {
  const sameUnit = report.drivers.filter((other) => other.unit === driver.unit).length;
  return sameUnit > 1 ? `${driver.unit}#${driver.driver}` : driver.unit;
}

describe("pattern fixtures", () => {
  let report: Report;
  before(async () => {
    report = await analyze(await FsSource.open(ROOT), { cache: false, jobs: 1 });
  });

  it("reports exactly the fixture drivers", () => {
    assert.deepEqual(
      report.drivers.map((driver) => keyOf(driver, report)).sort(),
      Object.keys(EXPECTED).sort(),
    );
  });

  for (const [key, expected] of Object.entries(EXPECTED)) {
    it(`${key} is ${expected.status}`, () => {
      const driver = report.drivers.find((candidate) => keyOf(candidate, report) === key);
      assert.ok(driver, `${key} missing from the report`);
      assert.equal(driver.status, expected.status);
      const findings = driver.findings.map(
        (finding) => `${finding.ruleId}@${finding.file.split("/").pop()}:${finding.line}`,
      );
      assert.deepEqual(findings, expected.findings);
    });
  }

  it("gives each double release its evidence chain: enable, allocate, entry, release", () => {
    const driver = report.drivers.find((candidate) => candidate.unit === "drivers/split");
    const finding = driver?.findings[0];
    assert.ok(finding);
    assert.deepEqual(
      finding.evidence.map(
        (step) => `${step.role} ${step.file.split("/").pop()}:${step.line} ${step.function}`,
      ),
      [
        "managed-enable split_main.c:11 split_probe",
        "hybrid-alloc split_irq.c:8 split_init_irq",
        "entry split_main.c:18 split_remove",
        "call split_main.c:20 split_remove",
        "release split_irq.c:15 split_deinit_irq",
      ],
    );
    assert.match(finding.message, /remove path/);
    assert.match(finding.fix.description, /devres/);
  });

  it("explains why the fallback release is not a teardown: no finding points at it", () => {
    const driver = report.drivers.find((candidate) => candidate.unit === "drivers/misc/msix-to-msi-fallback");
    assert.ok(driver?.findings.every((finding) => finding.line !== 19));
  });

  it("has a summary that counts the drivers by status", () => {
    const counted: Record<string, number> = {};
    for (const driver of report.drivers) counted[driver.status] = (counted[driver.status] ?? 0) + 1;
    for (const [status, count] of Object.entries(report.summary))
      assert.equal(count, counted[status] ?? 0, status);
  });

  it("gives stable, distinct fingerprints", async () => {
    const again = await analyze(await FsSource.open(ROOT), { cache: false, jobs: 1 });
    const fingerprints = report.drivers.flatMap((driver) =>
      driver.findings.map((finding) => finding.fingerprint),
    );
    assert.equal(new Set(fingerprints).size, fingerprints.length);
    assert.deepEqual(
      again.drivers.flatMap((driver) => driver.findings.map((finding) => finding.fingerprint)),
      fingerprints,
    );
  });

  it("loses nothing by prefiltering: the same report as parsing every file of every module", async () => {
    const full = await analyze(await FsSource.open(ROOT), { cache: false, jobs: 1, prefilter: false });
    assert.deepEqual(full.drivers, report.drivers);
  });
});

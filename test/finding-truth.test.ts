/**
 * Every finding true at its line (test/fixtures/truth, one pattern per file, written from
 * scratch): the exact findings of each driver (rule, line, severity, and the edits or none),
 * the words of the messages, the evidence as a reviewer reads it, and `fix` agreeing with
 * the edits the report proposes.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { analyze } from "../src/analyze.js";
import { buildPatches } from "../src/fix/index.js";
import { historyPrefix, subjectOf } from "../src/fix/message.js";
import type { ModulePlan } from "../src/fix/plan.js";
import { evidenceLines, markdownStyle } from "../src/report/evidence.js";
import type { DriverReport, Finding, Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";

const ROOT = new URL("fixtures/truth/", import.meta.url).pathname;

/** `rule@line:severity:edits` — edits as the deleted line range, or `none`. */
function shape(finding: Finding): string {
  const edits = finding.fix.edits.map((edit) => `${edit.startLine}-${edit.endLine - 1}`).join(",");
  return `${finding.ruleId}@${finding.line}:${finding.severity}:${edits === "" ? "none" : edits}`;
}

const EXPECTED: Record<string, { status: string; findings: string[] }> = {
  // Devres does not run at shutdown: the release there is the only one.
  "release-only-in-shutdown": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@18:warning:none"],
  },
  // The remove path releases twice, but the line is also the shutdown's only release.
  "shutdown-calls-remove": { status: "double-release", findings: ["msi-double-release@24:error:none"] },
  // .reset frees, the next .set_status allocates: a runtime cycle, not a teardown.
  "ops-reset-and-set-status": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@21:warning:none"],
  },
  "netdev-open-close": { status: "implicit-managed", findings: ["msi-implicit-managed@19:warning:none"] },
  // Freed, then the legacy interrupt on pdev->irq: a re-allocation.
  "intx-fallback-pdev-irq": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@23:warning:none"],
  },
  // One helper for remove and suspend: a finding, never a deletion.
  "helper-shared-remove-suspend": {
    status: "double-release",
    findings: ["msi-double-release@19:error:none"],
  },
  // The second function's vectors are its own devres' business: no finding at line 45.
  "second-function-error-path": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@25:warning:none"],
  },
  // PTR_IF(false, ...) and if (0) are not code.
  "ptr-if-false-setup": { status: "no-msi", findings: [] },
  // Two drivers share the remove: one finding.
  "two-drivers-shared-probe#tsp_a_driver": {
    status: "double-release",
    findings: ["msi-double-release@24:error:24-24"],
  },
  "two-drivers-shared-probe#tsp_b_driver": { status: "double-release", findings: [] },
  // A .remove whose only statement is the release: the suggestion deletes the line.
  "remove-only-release": { status: "double-release", findings: ["msi-double-release@23:error:23-23"] },
  // Each release with the allocation of its kind; the else branch can go, the if keeps its body.
  "msix-release-pairs-msix": {
    status: "double-release",
    findings: ["msi-double-release@44:error:none", "msi-double-release@46:error:45-46"],
  },
};

function keyOf(driver: DriverReport): string {
  const name = driver.unit.split("/").at(-1) as string;
  const several = ["two-drivers-shared-probe"].includes(name);
  return several ? `${name}#${driver.driver}` : name;
}

describe("finding truth: fixtures", () => {
  let report: Report;
  before(async () => {
    report = await analyze(await FsSource.open(ROOT), { paths: ["drivers"], cache: false, jobs: 1 });
  });

  it("gives each driver exactly the expected findings, rules, lines, severities and edits", () => {
    const actual = Object.fromEntries(
      report.drivers.map((driver) => [
        keyOf(driver),
        { status: driver.status, findings: driver.findings.map(shape) },
      ]),
    );
    assert.deepEqual(actual, EXPECTED);
  });

  const find = (unit: string, line: number): Finding => {
    const finding = report.drivers
      .filter((driver) => driver.unit.endsWith(`/${unit}`))
      .flatMap((driver) => driver.findings)
      .find((candidate) => candidate.line === line);
    assert.ok(finding, `${unit}:${line}`);
    return finding;
  };

  it("names both paths of a shared line and what to do instead", () => {
    const shared = find("helper-shared-remove-suspend", 19);
    assert.match(
      shared.message,
      /on the remove path \(hrs_remove\(\), the \.remove of hrs_driver\) is redundant/,
    );
    assert.match(
      shared.message,
      /also runs in hrs_suspend\(\), a PM callback of hrs_driver, where the release is needed/,
    );
    assert.match(
      shared.fix.description,
      /^Do not delete this release: stop calling hrs_clear_irqs\(\) from hrs_remove\(\)/,
    );
    const shutdown = find("shutdown-calls-remove", 24);
    assert.match(
      shutdown.message,
      /on the shutdown path \(scr_shutdown\(\), the \.shutdown of scr_driver; devres does not run at shutdown\)/,
    );
  });

  it("names every driver that shares a line", () => {
    assert.match(
      find("two-drivers-shared-probe", 24).message,
      /The line serves tsp_a_driver and tsp_b_driver\./,
    );
  });

  it("pairs a release with the allocation of its kind", () => {
    const allocation = (finding: Finding): string | undefined =>
      finding.evidence.find((step) => step.role === "hybrid-alloc")?.text;
    assert.match(allocation(find("msix-release-pairs-msix", 44)) ?? "", /^pci_enable_msix_range\(/);
    assert.match(allocation(find("msix-release-pairs-msix", 46)) ?? "", /^pci_enable_msi\(/);
  });

  it("says redundant, never a crash or a double free, and names the real conversion", () => {
    for (const finding of report.drivers.flatMap((driver) => driver.findings)) {
      assert.doesNotMatch(finding.message, /crash|double free|freed twice/i, finding.message);
      if (finding.ruleId === "msi-double-release") assert.match(finding.message, /redundant/);
    }
    assert.match(
      find("intx-fallback-pdev-irq", 23).fix.description,
      /^Allocate with pcim_alloc_irq_vectors\(pdev, 1, 1, PCI_IRQ_MSI\) instead\./,
    );
  });

  it("puts an entry at its function's name, and renders the chain in the kernel's words", () => {
    const finding = find("remove-only-release", 23);
    const entry = finding.evidence.find((step) => step.role === "entry");
    assert.deepEqual([entry?.line, entry?.column, entry?.path], [21, 13, "remove"]);
    const link = (file: string, line: number): string => `https://h/${file}#L${line}`;
    assert.deepEqual(evidenceLines(finding, markdownStyle(link)), [
      "managed by `pcim_enable_device()` at [remove-only-release.c:13](https://h/drivers/misc/remove-only-release.c#L13) in `rmo_probe()`",
      "vectors allocated by `pci_alloc_irq_vectors()` at [remove-only-release.c:17](https://h/drivers/misc/remove-only-release.c#L17) in `rmo_probe()`",
      "`rmo_remove()` at [remove-only-release.c:21](https://h/drivers/misc/remove-only-release.c#L21) is the `.remove` of `rmo_driver`",
      "released by `pci_free_irq_vectors()` at [remove-only-release.c:23](https://h/drivers/misc/remove-only-release.c#L23) in `rmo_remove()`",
      "released again by devres at detach (a no-op today)",
    ]);
    // A shared line shows where else it is needed.
    assert.ok(
      evidenceLines(find("helper-shared-remove-suspend", 19)).some((line) =>
        /^also reached: hrs_suspend\(\) at helper-shared-remove-suspend.c:\d+ is a PM callback of hrs_driver, where the release is needed/.test(
          line,
        ),
      ),
    );
  });

  it("has fix make exactly the report's deletions, and drop an emptied .remove with its field", async () => {
    const source = await FsSource.open(ROOT);
    const result = await buildPatches(report, async (path) => (await source.read(path))?.toString("latin1"), {
      assumePcimApi: false,
      from: "T <t@example.com>",
      date: new Date(0),
      signature: "test",
    });
    const patched = result.patches.map((patch) => patch.unit.split("/").at(-1)).sort();
    const proposed = report.drivers
      .filter((driver) => driver.findings.some((finding) => finding.fix.edits.length > 0))
      .map((driver) => driver.unit.split("/").at(-1))
      .sort();
    assert.deepEqual(patched, [...new Set(proposed)]);
    const removeOnly = result.patches.find((patch) => patch.unit.endsWith("remove-only-release"))?.text ?? "";
    assert.match(
      removeOnly,
      /-static void rmo_remove\(struct pci_dev \*pdev\)\n-\{\n-\tpci_free_irq_vectors\(pdev\);\n-\}\n/,
    );
    assert.match(removeOnly, /-\t\.remove\t\t= rmo_remove,\n/);
    // Nothing the report keeps is touched.
    for (const patch of result.patches) assert.doesNotMatch(patch.text, /^-.*hrs_clear_irqs|^-.*scr_remove/m);
  });
});

describe("finding truth: patch subjects from the tree's history", () => {
  const plan = {
    unit: "drivers/net/ethernet/acme/foo",
    module: "foo",
    converted: [],
    removed: [{ callee: "pci_free_irq_vectors" }],
  } as unknown as ModulePlan;

  it("takes the prefix the file's recent commits use", () => {
    const history = [
      "net: foo: fix a leak on the error path",
      "net: foo: add ethtool stats",
      "Merge branch 'net-next'",
      "treewide: rename a helper",
      "foo: old style subject",
    ];
    assert.equal(historyPrefix(history), "net: foo:");
    assert.equal(subjectOf(plan, undefined, history), "net: foo: Drop redundant pci_free_irq_vectors()");
    assert.equal(historyPrefix(["crypto: ccp - Add a mode", "crypto: ccp - Fix a race"]), "crypto: ccp -");
  });

  it("falls back to the path table without history", () => {
    assert.equal(historyPrefix([]), undefined);
    assert.equal(subjectOf(plan, undefined, []), "net: foo: Drop redundant pci_free_irq_vectors()");
    assert.equal(
      subjectOf(plan, undefined, ["ethernet: acme-foo: Rework rings"]),
      "ethernet: acme-foo: Drop redundant pci_free_irq_vectors()",
    );
  });
});

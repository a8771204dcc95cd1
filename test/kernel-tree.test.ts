/**
 * Linux 6.12 (Debian's linux-source-6.12, unpacked by scripts/install-kernel-tree.sh into the
 * directory KERNEL_TREE names): the seed's grep lists get a status each, every file where the
 * checker disagrees with grep is in the table below with the reason read from the code, and
 * the cases of KERNEL.md come out as it says.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { analyze } from "../src/analyze.js";
import { mergeReports } from "../src/report/merge.js";
import type { DriverReport, Report, Status } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const TREE = KERNEL_TREE;

/** The seed's grep pipelines, run on the tree at test time (bench/grep-pipelines.sh). */
function seedLists(tree: string): string {
  const out = mkdtempSync(join(tmpdir(), "msi-grep-"));
  execFileSync("bash", [new URL("../bench/grep-pipelines.sh", import.meta.url).pathname, tree, out]);
  return out;
}

/** What each grep pipeline claims for the files it lists. */
const LISTS: Record<string, Status> = {
  "implicit-managed.txt": "implicit-managed",
  "double-release.txt": "double-release",
  "double-release-legacy.txt": "double-release",
};

/** Every file where the checker's status differs from the grep list's, and why. */
const DIFFERENCES: Record<string, { grep: Status; checker: Status; reason: string }> = {
  "drivers/bus/mhi/host/pci_generic.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason: "pci_free_irq_vectors() is named only in a comment (KERNEL.md); nothing releases the vectors",
  },
  "drivers/cxl/pci.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason: "pci_free_irq_vectors() is named only in a comment (KERNEL.md, lines 602-603)",
  },
  "drivers/ata/ahci.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "ahci_init_msi() frees the MSI-X vectors only to fall back to MSI (free, then pci_alloc_irq_vectors again): a re-allocation, not a teardown",
  },
  "drivers/misc/mei/pci-me.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pci_disable_msi() runs only in the suspend callback (mei_me_pm_ops, reached through the MEI_ME_PM_OPS macro) and resume enables MSI again; remove releases nothing",
  },
  "drivers/misc/mei/pci-txe.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pci_disable_msi() runs only in the suspend callback (mei_txe_pm_ops, through MEI_TXE_PM_OPS) and resume enables MSI again; remove releases nothing",
  },
  "drivers/tty/serial/8250/8250_mid.c": {
    grep: "implicit-managed",
    checker: "no-msi",
    reason:
      "the only allocation is in dnv_setup(), which the board table names as PTR_IF(false, dnv_setup) (KERNEL.md): compiled out",
  },
  "drivers/net/ethernet/oki-semi/pch_gbe/pch_gbe_main.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pch_gbe_free_irq() runs only from netdev and ethtool ops and PM (pch_gbe_down()/pch_gbe_up(): open/close and reset cycles), never from remove or a probe error path",
  },
  "drivers/scsi/isci/init.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pci_free_irq_vectors() (init.c:353) is followed by goto intx and devm_request_irq() on the INTx vector: a fallback, not a teardown",
  },
  "drivers/i2c/busses/i2c-ismt.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pci_disable_msi() (i2c-ismt.c:850) is followed by goto intx and the legacy interrupt on pdev->irq: a fallback, not a teardown",
  },
  "drivers/vdpa/octeon_ep/octep_vdpa_main.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "octep_free_irqs() runs from octep_vdpa_reset() and octep_request_irqs() from .set_status, both in the vdpa ops table: a runtime cycle (KERNEL.md), not a teardown; remove releases nothing",
  },
  "drivers/vdpa/alibaba/eni_vdpa.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "eni_vdpa_free_irq() runs from .reset and .set_status in the vdpa ops table, and the next DRIVER_OK allocates again: a runtime cycle, not a teardown; remove releases nothing",
  },
  "drivers/dma/ioat/init.c": {
    grep: "double-release",
    checker: "implicit-managed",
    reason:
      "pci_disable_msi() (init.c:459) is followed by goto intx and devm_request_irq(pdev->irq): a fallback to INTx, not a teardown",
  },
  "drivers/platform/x86/intel_ips.c": {
    grep: "double-release",
    checker: "no-msi",
    reason:
      "pci_alloc_irq_vectors(dev, 1, 1, PCI_IRQ_INTX): INTx only, so no MSI context and no devres action exist",
  },
};

function driversOf(report: Report, file: string): DriverReport[] {
  return report.drivers.filter((driver) => driver.files.includes(file));
}

describeKernelTree("Linux 6.12 drivers/", () => {
  let report: Report;
  let lists: string;
  before(async () => {
    lists = seedLists(TREE as string);
    report = await analyze(await FsSource.open(TREE as string), { paths: ["drivers"] });
  });
  after(() => rmSync(lists, { recursive: true, force: true }));

  it("reads the tree's version and that it lacks pcim_alloc_irq_vectors()", () => {
    assert.match(report.tree.kernelVersion ?? "", /^6\.12\./);
    assert.equal(report.tree.pcimAllocIrqVectors, false);
  });

  for (const [list, claimed] of Object.entries(LISTS)) {
    it(`gives every file of ${list} a status, and differs from grep only as the table says`, () => {
      const files = readFileSync(join(lists, list), "utf8").trim().split("\n");
      assert.ok(files.length > 5, `${list}: the pipeline found ${files.length} files`);
      const differing: string[] = [];
      for (const file of files) {
        const drivers = driversOf(report, file);
        assert.ok(drivers.length > 0, `${file} has no status in the report`);
        const statuses = new Set(drivers.map((driver) => driver.status));
        if (statuses.size === 1 && statuses.has(claimed)) continue;
        differing.push(file);
        const expected = DIFFERENCES[file];
        assert.ok(
          expected,
          `${file}: grep says ${claimed}, the checker ${[...statuses].join(", ")}; not in the table`,
        );
        assert.equal(expected.grep, claimed, file);
        assert.deepEqual([...statuses], [expected.checker], file);
      }
      const tabled = Object.entries(DIFFERENCES).filter(([file]) => files.includes(file));
      assert.deepEqual(differing.sort(), tabled.map(([file]) => file).sort());
    });
  }

  it("does not list drivers/cxl/pci.c or mhi's pci_generic.c as double-release (comments only)", () => {
    for (const file of ["drivers/cxl/pci.c", "drivers/bus/mhi/host/pci_generic.c"]) {
      const [driver] = driversOf(report, file);
      assert.equal(driver?.status, "implicit-managed", file);
      assert.ok(driver.findings.every((finding) => finding.ruleId === "msi-implicit-managed"));
    }
  });

  it("sees that ipu6's pci_disable_msi() (ipu6.c:463) runs on a branch that allocated nothing", () => {
    const [driver] = driversOf(report, "drivers/media/pci/intel/ipu6/ipu6.c");
    assert.equal(driver?.status, "implicit-managed");
    assert.ok(
      driver.findings.some((finding) => finding.line === 467 && finding.ruleId === "msi-implicit-managed"),
    );
    assert.ok(driver.findings.every((finding) => finding.line !== 463));
  });

  it("finds ice's double release across the module's files (ice_main.c:5288 → ice_irq.c:197/245)", () => {
    const [driver] = driversOf(report, "drivers/net/ethernet/intel/ice/ice_main.c");
    assert.equal(driver?.unit, "drivers/net/ethernet/intel/ice");
    assert.equal(driver.status, "double-release");
    const release = driver.findings.find(
      (finding) => finding.file.endsWith("ice_irq.c") && finding.line === 245,
    );
    assert.ok(release, "no finding at ice_irq.c:245");
    const steps = release.evidence.map((step) => `${step.role} ${step.file.split("/").pop()}:${step.line}`);
    assert.equal(steps[0], "managed-enable ice_main.c:5288");
    assert.equal(steps[1], "hybrid-alloc ice_irq.c:197");
    assert.ok(steps.includes("release ice_irq.c:245"));
    assert.ok(steps.includes("entry ice_main.c:" + String(release.evidence[2]?.line)));
    assert.match(release.message, /remove path/);
    // The same line releases for ice_suspend(): a finding, never a deletion (KERNEL.md).
    assert.match(
      release.message,
      /also runs in ice_suspend\(\), a PM callback of ice_driver, .* where the release is needed: do not delete it/,
    );
    assert.deepEqual(release.fix.edits, []);
  });

  it("reports per driver when one file holds several (mt7915's pci and hif drivers)", () => {
    const drivers = driversOf(report, "drivers/net/wireless/mediatek/mt76/mt7915/pci.c");
    assert.deepEqual(drivers.map((driver) => driver.driver).sort(), [
      "mt7915_hif_driver",
      "mt7915_pci_driver",
    ]);
  });

  it("gives the same report from a warm cache, and in two shards merged", async () => {
    const source = await FsSource.open(TREE as string);
    const warm = await analyze(source, { paths: ["drivers"] });
    assert.equal(warm.stats.cacheHits, warm.stats.filesParsed);
    assert.deepEqual(warm.drivers, report.drivers);
    const shards = [];
    for (const index of [1, 2])
      shards.push(await analyze(source, { paths: ["drivers"], shard: { index, count: 2 } }));
    assert.deepEqual(mergeReports(shards).drivers, report.drivers);
  });

  it("loses nothing by prefiltering: the same drivers as parsing every file of every module", async () => {
    const full = await analyze(await FsSource.open(TREE as string), { paths: ["drivers"], prefilter: false });
    assert.ok(full.stats.filesParsed > 5 * report.stats.filesParsed, "the prefilter should skip most files");
    assert.deepEqual(full.drivers, report.drivers);
  });

  it("counts the summary from the drivers", () => {
    const counted: Record<string, number> = {};
    for (const driver of report.drivers) counted[driver.status] = (counted[driver.status] ?? 0) + 1;
    for (const [status, count] of Object.entries(report.summary))
      assert.equal(count, counted[status] ?? 0, status);
  });
});

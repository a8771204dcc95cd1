/**
 * The three eras on Linux 6.12 (KERNEL_TREE): era 1 is the tree itself; eras 2 and 3 are built
 * at test time from its own files (test/helpers/kernel-eras.ts). Checks the era read in each,
 * switchtec and vmd converted in eras 2 and 3, what era 3 does to every implicit-managed and
 * double-release driver of era 1, and a pull request from era 1 to era 3. The counts per status
 * are printed as test diagnostics.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, it } from "node:test";
import { analyze } from "../src/analyze.js";
import { checkChange } from "../src/diff/check.js";
import type { DriverReport, Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";
import { git } from "./helpers/git.js";
import { buildEraTree, patchedFiles, replaceFile } from "./helpers/kernel-eras.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const TREE = KERNEL_TREE;

const CONVERTED_BY_THE_SERIES = ["drivers/pci/switch/switchtec.c", "drivers/pci/controller/vmd.c"];

function key(driver: DriverReport): string {
  return `${driver.unit}#${driver.driver ?? ""}`;
}

function byKey(report: Report): Map<string, DriverReport> {
  return new Map(report.drivers.map((driver) => [key(driver), driver]));
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} not found`);
  return text.slice(0, at).split("\n").length;
}

function counts(report: Report): string {
  return Object.entries(report.summary)
    .map(([status, count]) => `${status} ${count}`)
    .join(", ");
}

describeKernelTree("Linux 6.12 across the three eras", () => {
  const kernel = TREE as string;
  let scratch: string;
  const reports: Partial<Record<1 | 2 | 3, Report>> = {};
  const reportOf = (era: 1 | 2 | 3): Report => {
    const report = reports[era];
    assert.ok(report !== undefined, `the era ${era} audit did not run`);
    return report;
  };

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), "msi-eras-6.12-"));
    const audit = async (root: string): Promise<Report> =>
      analyze(await FsSource.open(root), { paths: ["drivers"] });
    reports[1] = await audit(kernel);
    reports[2] = await audit(buildEraTree(kernel, 2, join(scratch, "era2")));
    reports[3] = await audit(buildEraTree(kernel, 3, join(scratch, "era3")));
  });
  after(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it("reads the era of each tree from its PCI/MSI core, with the line that decided it", (t) => {
    const [one, two, three] = [reportOf(1), reportOf(2), reportOf(3)];
    for (const era of [1, 2, 3] as const) t.diagnostic(`era ${era}: ${counts(reportOf(era))}`);
    assert.equal(one.tree.era, 1);
    assert.equal(one.tree.eraDecidedBy?.source, "msi-core");
    assert.equal(`${one.tree.eraDecidedBy?.file}:${one.tree.eraDecidedBy?.line}`, "drivers/pci/msi/msi.c:88");
    assert.equal(one.tree.pcimAllocIrqVectors, false);

    const era2 = patchedFiles(kernel, 2);
    assert.equal(two.tree.era, 2);
    assert.equal(two.tree.pcimAllocIrqVectors, true);
    assert.equal(
      `${two.tree.eraDecidedBy?.file}:${two.tree.eraDecidedBy?.line}`,
      `drivers/pci/msi/msi.c:${lineOf(era2["drivers/pci/msi/msi.c"] as string, "devm_add_action(")}`,
    );

    const era3 = patchedFiles(kernel, 3);
    assert.equal(three.tree.era, 3);
    assert.equal(three.tree.pcimAllocIrqVectors, true);
    assert.equal(
      `${three.tree.eraDecidedBy?.file}:${three.tree.eraDecidedBy?.line}`,
      `drivers/pci/msi/api.c:${lineOf(era3["drivers/pci/msi/api.c"] as string, "int pci_alloc_irq_vectors_affinity(")}`,
    );
  });

  it("gives the counts the README states for each era", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8").replace(/\s+/g, " ");
    const number = (pattern: RegExp): number => {
      const match = pattern.exec(readme);
      assert.ok(match, `the README no longer says ${pattern}`);
      return Number(match[1]);
    };
    const [one, two, three] = [reportOf(1).summary, reportOf(2).summary, reportOf(3).summary];
    assert.equal(number(/summary counts (\d+) double-release/), one["double-release"]);
    assert.equal(number(/and (\d+) implicit-managed drivers/), one["implicit-managed"]);
    assert.equal(number(/\((\d+) to convert\)/), one["double-release"] + one["implicit-managed"]);
    assert.equal(number(/to convert\), (\d+) unmanaged/), one.unmanaged);
    assert.equal(number(/unmanaged and (\d+) without MSI/), one["no-msi"]);
    assert.equal(number(/era 2 counts (\d+) double-release/), two["double-release"]);
    assert.equal(number(/era 2 counts \d+ double-release, (\d+) implicit-managed/), two["implicit-managed"]);
    assert.equal(number(/implicit-managed, (\d+) converted \(switchtec, vmd\)/), two.converted);
    assert.equal(number(/\(switchtec, vmd\), (\d+) unmanaged/), two.unmanaged);
    assert.equal(number(/era 3 counts (\d+) leaks-at-detach/), three["leaks-at-detach"]);
    assert.equal(number(/leaks-at-detach, (\d+) converted and/), three.converted);
    assert.equal(number(/converted and (\d+) unmanaged \(the/), three.unmanaged);
    assert.equal(number(/parses the parts of (\d+) that/), reportOf(1).stats.filesParsed);
  });

  it("switchtec and vmd are implicit-managed in era 1 and converted in eras 2 and 3", () => {
    for (const file of CONVERTED_BY_THE_SERIES) {
      const status = (era: 1 | 2 | 3): string[] =>
        reportOf(era)
          .drivers.filter((d) => d.files.includes(file))
          .map((d) => d.status);
      assert.deepEqual(status(1), ["implicit-managed"], file);
      assert.deepEqual(status(2), ["converted"], file);
      assert.deepEqual(status(3), ["converted"], file);
    }
  });

  it("era 2 judges every other driver as era 1 does", () => {
    const two = byKey(reportOf(2));
    for (const driver of reportOf(1).drivers) {
      if (CONVERTED_BY_THE_SERIES.some((file) => driver.files.includes(file))) continue;
      const same = two.get(key(driver));
      assert.equal(same?.status, driver.status, key(driver));
      assert.deepEqual(
        same?.findings.map((f) => f.fingerprint),
        driver.findings.map((f) => f.fingerprint),
        key(driver),
      );
    }
  });

  it("era 3: each era-1 implicit-managed driver gets exactly one new error finding, at an allocation", () => {
    const one = reportOf(1);
    const three = byKey(reportOf(3));
    const before = new Set(one.drivers.flatMap((d) => d.findings.map((f) => f.fingerprint)));
    const implicit = one.drivers.filter(
      (d) =>
        d.status === "implicit-managed" && !CONVERTED_BY_THE_SERIES.some((file) => d.files.includes(file)),
    );
    assert.ok(implicit.length > 20, `${implicit.length} implicit-managed drivers in 6.12`);
    for (const driver of implicit) {
      const now = three.get(key(driver));
      assert.equal(now?.status, "leaks-at-detach", key(driver));
      const fresh = (now?.findings ?? []).filter((f) => !before.has(f.fingerprint));
      assert.deepEqual(
        fresh.map((f) => `${f.ruleId} ${f.severity}`),
        ["msi-leaks-at-detach error"],
        key(driver),
      );
      const alloc = fresh[0]?.evidence.find((step) => step.role === "hybrid-alloc");
      assert.equal(`${alloc?.file}:${alloc?.line}`, `${fresh[0]?.file}:${fresh[0]?.line}`, key(driver));
    }
  });

  it("era 3: no era-1 double-release driver keeps a finding for its teardown releases", () => {
    const three = byKey(reportOf(3));
    const doubles = reportOf(1).drivers.filter((d) => d.status === "double-release");
    assert.ok(doubles.length > 20, `${doubles.length} double-release drivers in 6.12`);
    for (const driver of doubles) {
      const now = three.get(key(driver));
      assert.deepEqual(
        now?.findings.filter((f) => f.ruleId === "msi-double-release").map((f) => `${f.file}:${f.line}`),
        [],
        key(driver),
      );
      assert.notEqual(now?.status, "double-release", key(driver));
    }
  });

  it("a pull request from the era-1 tree to the era-3 tree reports the leaks as new", async (t) => {
    // A repository of what the PR needs: the core, pci.h, and the modules era 3 judges anew.
    const one = reportOf(1);
    const repo = join(scratch, "repo");
    const judged = one.drivers.filter(
      (d) => d.status === "implicit-managed" || d.status === "double-release",
    );
    const files = new Set(["Makefile", "include/linux/pci.h", ...judged.flatMap((d) => d.files)]);
    for (const dir of ["drivers/pci/msi", ...judged.flatMap((d) => d.files.map(dirname))]) {
      for (let at = dir; at !== "."; at = dirname(at)) files.add(`${at}/Makefile`);
    }
    for (const name of ["api.c", "msi.c", "msi.h", "irqdomain.c", "legacy.c", "pcidev_msi.c"])
      files.add(`drivers/pci/msi/${name}`);
    for (const path of files) {
      if (!existsSync(join(kernel, path))) continue;
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      copyFileSync(join(kernel, path), join(repo, path));
    }
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "Linux 6.12 (era 1)");
    const base = await git(repo, "rev-parse", "HEAD");
    for (const [path, text] of Object.entries(patchedFiles(kernel, 3))) replaceFile(repo, path, text);
    await git(
      repo,
      "commit",
      "-q",
      "-a",
      "-m",
      "PCI/MSI: pcim_alloc_irq_vectors(), and the hybrid release removed",
    );
    const head = await git(repo, "rev-parse", "HEAD");

    const result = await checkChange({ root: repo, base, head, paths: ["drivers"] });
    assert.match(result.eraChange ?? "", /from era 1 \(hybrid\).* to era 3 \(hybrid removed\)/);
    const headDrivers = byKey(result.report);
    const leaks = result.report.drivers
      .flatMap((d) => d.findings)
      .filter((f) => f.ruleId === "msi-leaks-at-detach");
    t.diagnostic(`PR era 1 → 3: ${leaks.length} leaks, ${leaks.filter((f) => f.new === true).length} new`);
    for (const driver of judged.filter((d) => d.status === "implicit-managed")) {
      const now = headDrivers.get(key(driver));
      if (CONVERTED_BY_THE_SERIES.some((file) => driver.files.includes(file))) {
        assert.equal(now?.status, "converted", key(driver));
        continue;
      }
      const leak = now?.findings.filter((f) => f.ruleId === "msi-leaks-at-detach");
      assert.deepEqual(
        leak?.map((f) => f.new),
        [true],
        key(driver),
      );
    }
    assert.ok(
      readFileSync(join(kernel, "drivers/pci/msi/msi.c"), "latin1").includes("pcim_setup_msi_release(dev);"),
    );
  });
});

/**
 * Kernel eras (src/era/): a tiny PCI/MSI core of each era (test/fixtures/eras, written from
 * scratch) with the same three drivers; the era read from the core, each driver's status and
 * findings per era, the fallback without the core, and a pull request that moves the era.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { checkChange } from "../src/diff/check.js";
import { buildPatches, type FixResult } from "../src/fix/index.js";
import { planReview } from "../src/danger/review.js";
import { prSummaryMarkdown } from "../src/github/summary.js";
import { eraStatus } from "../src/era/status.js";
import { toMarkdown } from "../src/report/markdown.js";
import type { Era, Report } from "../src/report/types.js";
import { explainRule, findRule } from "../src/rules/index.js";
import { FsSource } from "../src/scan/source.js";
import { git } from "./helpers/git.js";

const FIXTURES = new URL("fixtures/eras/", import.meta.url).pathname;
const LAYERS: Record<Era, string[]> = {
  1: ["common", "hybrid-core"],
  2: ["common", "hybrid-core", "managed-api"],
  3: ["common", "removed-core", "managed-api"],
};

const scratch = mkdtempSync(join(tmpdir(), "msi-eras-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A tree made of fixture layers, later ones replacing files of earlier ones. */
function assemble(name: string, layers: readonly string[], into = join(scratch, name)): string {
  for (const layer of layers) cpSync(join(FIXTURES, layer), into, { recursive: true, force: true });
  return into;
}

async function audit(root: string): Promise<Report> {
  return analyze(await FsSource.open(root), { paths: ["drivers/misc"], jobs: 1, cache: false });
}

/** unit → status and findings as `rule@file:line severity`. */
function outcome(report: Report): Record<string, { status: string; findings: string[] }> {
  return Object.fromEntries(
    report.drivers.map((driver) => [
      driver.unit.replace("drivers/misc/", ""),
      {
        status: driver.status,
        findings: driver.findings.map(
          (f) => `${f.ruleId}@${f.file.replace("drivers/misc/", "")}:${f.line} ${f.severity}`,
        ),
      },
    ]),
  );
}

const HYBRID_OUTCOME = {
  converted: { status: "converted", findings: [] },
  "releases-on-remove": {
    status: "double-release",
    findings: ["msi-double-release@releases-on-remove.c:23 error"],
  },
  "relies-on-implicit-cleanup": {
    status: "implicit-managed",
    findings: ["msi-implicit-managed@relies-on-implicit-cleanup.c:14 warning"],
  },
};

describe("the era read from the tree's PCI/MSI core", () => {
  test("era 1: the hybrid allocators register the devres release for managed devices", async () => {
    const report = await audit(assemble("era1", LAYERS[1]));
    assert.equal(report.tree.era, 1);
    assert.equal(report.tree.pcimAllocIrqVectors, false);
    assert.equal(report.tree.eraDecidedBy?.source, "msi-core");
    assert.equal(
      `${report.tree.eraDecidedBy?.file}:${report.tree.eraDecidedBy?.line}`,
      "drivers/pci/msi/msi.c:21",
    );
    assert.match(report.tree.eraDecidedBy?.reason ?? "", /devm_add_action\(…, pcim_msi_release, …\)/);
    assert.deepEqual(outcome(report), HYBRID_OUTCOME);
  });

  test("era 2: the same, and pcim_alloc_irq_vectors() exists; nothing changes for the drivers but the fix", async () => {
    const report = await audit(assemble("era2", LAYERS[2]));
    assert.equal(report.tree.era, 2);
    assert.equal(report.tree.pcimAllocIrqVectors, true);
    assert.equal(
      `${report.tree.eraDecidedBy?.file}:${report.tree.eraDecidedBy?.line}`,
      "drivers/pci/msi/msi.c:21",
    );
    assert.match(
      report.tree.eraDecidedBy?.reason ?? "",
      /pcim_alloc_irq_vectors\(\) exists \(drivers\/pci\/msi\/devres\.c:25\)/,
    );
    assert.deepEqual(outcome(report), HYBRID_OUTCOME);
    // With the API in the tree, the implicit-managed finding's fix is a mechanical rename.
    const implicit = report.drivers.find((d) => d.status === "implicit-managed");
    assert.deepEqual(
      implicit?.findings[0]?.fix.edits.map((edit) => edit.replacement),
      ["pcim_alloc_irq_vectors"],
    );
  });

  test("era 3: the implicit cleanup leaks at detach, the explicit release is right", async () => {
    const report = await audit(assemble("era3", LAYERS[3]));
    assert.equal(report.tree.era, 3);
    assert.equal(report.tree.pcimAllocIrqVectors, true);
    assert.equal(
      `${report.tree.eraDecidedBy?.file}:${report.tree.eraDecidedBy?.line}`,
      "drivers/pci/msi/api.c:6",
    );
    assert.deepEqual(outcome(report), {
      converted: { status: "converted", findings: [] },
      "releases-on-remove": { status: "unmanaged", findings: [] },
      "relies-on-implicit-cleanup": {
        status: "leaks-at-detach",
        findings: ["msi-leaks-at-detach@relies-on-implicit-cleanup.c:14 error"],
      },
    });
    const leak = report.drivers.find((d) => d.status === "leaks-at-detach")?.findings[0];
    assert.match(leak?.message ?? "", /nothing releases them at detach/);
    assert.deepEqual(
      leak?.evidence.map((step) => `${step.role}:${step.line}`),
      ["managed-enable:10", "hybrid-alloc:14"],
    );
    assert.deepEqual(
      leak?.fix.edits.map((edit) => edit.replacement),
      ["pcim_alloc_irq_vectors"],
    );
    assert.equal(report.summary["leaks-at-detach"], 1);
    assert.match(
      toMarkdown(report),
      /Kernel era 3 \(hybrid removed\), read from the PCI\/MSI core at drivers\/pci\/msi\/api\.c:6/,
    );
    assert.match(toMarkdown(report), /leaks its vectors at detach/);
  });

  test("helpers renamed by a fork: the calls are followed, not the names", async () => {
    const root = assemble("renamed", LAYERS[1]);
    const msi = join(root, "drivers/pci/msi/msi.c");
    const renamed = readFileSync(msi, "utf8")
      .replace(/pcim_setup_msi_release/g, "vendor_msi_devres_hook")
      .replace(/pci_setup_msi_context/g, "vendor_msi_ctx")
      .replace(/pcim_msi_release/g, "vendor_msi_free");
    rmSync(msi);
    writeFileSync(msi, renamed);
    const report = await audit(root);
    assert.equal(report.tree.era, 1);
    assert.match(report.tree.eraDecidedBy?.reason ?? "", /vendor_msi_free/);
  });

  test("a devres registration that does not test the managed flag is not the hybrid one", async () => {
    const root = assemble("unguarded", LAYERS[1]);
    const msi = join(root, "drivers/pci/msi/msi.c");
    const unguarded = readFileSync(msi, "utf8").replace("!pci_is_managed(dev) || ", "");
    rmSync(msi);
    writeFileSync(msi, unguarded);
    assert.equal((await audit(root)).tree.era, 3);
  });

  test("a core file too large to parse is left out, and the decision says so", async () => {
    const root = assemble("oversized", LAYERS[1]);
    writeFileSync(join(root, "drivers/pci/msi/huge.c"), `/* ${"x".repeat(5 * 1024 * 1024)} */\n`);
    const report = await audit(root);
    assert.equal(report.tree.era, 1);
    assert.match(
      report.tree.eraDecidedBy?.reason ?? "",
      /not read: drivers\/pci\/msi\/huge\.c \(5\.0 MB, larger than/,
    );
  });

  test("without drivers/pci/msi the era falls back to pci.h's declarations, and says so", async () => {
    const partial = join(scratch, "partial");
    cpSync(join(FIXTURES, "common/drivers/misc"), join(partial, "drivers/misc"), { recursive: true });
    cpSync(join(FIXTURES, "common/include"), join(partial, "include"), { recursive: true });
    let report = await audit(partial);
    assert.equal(report.tree.era, 1);
    assert.equal(report.tree.eraDecidedBy?.source, "declarations");
    assert.match(report.tree.eraDecidedBy?.reason ?? "", /drivers\/pci\/msi\/ is not in the tree/);
    assert.match(toMarkdown(report), /from the declarations only/);
    cpSync(join(FIXTURES, "managed-api/include"), join(partial, "include"), { recursive: true, force: true });
    report = await audit(partial);
    assert.equal(report.tree.era, 2);
    assert.equal(
      `${report.tree.eraDecidedBy?.file}:${report.tree.eraDecidedBy?.line}`,
      "include/linux/pci.h:11",
    );
    assert.equal(report.tree.pcimAllocIrqVectors, true);
  });
});

describe("eraStatus", () => {
  test("eras 1 and 2 keep the hybrid meaning; era 3 changes the two managed-hybrid statuses only", () => {
    for (const era of [1, 2] as const) assert.equal(eraStatus("implicit-managed", era), "implicit-managed");
    assert.equal(eraStatus("implicit-managed", 3), "leaks-at-detach");
    assert.equal(eraStatus("double-release", 3), "unmanaged");
    assert.equal(eraStatus("converted-double-release", 3), "converted-double-release");
    assert.equal(eraStatus("converted", 3), "converted");
  });

  test("the new rule is documented for explain", () => {
    const rule = findRule("msi-leaks-at-detach");
    assert.equal(rule?.status, "leaks-at-detach");
    assert.equal(rule?.severity, "error");
    assert.match(explainRule(rule as NonNullable<typeof rule>), /never released at detach/);
  });
});

async function fix(report: Report): Promise<FixResult> {
  const source = await FsSource.open(report.tree.root);
  return buildPatches(report, async (path) => (await source.read(path))?.toString("latin1"), {
    assumePcimApi: false,
    from: "T <t@example.org>",
    date: new Date(0),
    signature: "test",
  });
}

describe("fix by era", () => {
  const implicit = "drivers/misc/relies-on-implicit-cleanup";

  test("era 1: no conversion without --assume-pcim-api", async () => {
    const result = await fix(await audit(assemble("fix1", LAYERS[1])));
    assert.match(result.skipped.find((s) => s.unit === implicit)?.reason ?? "", /does not declare/);
  });

  test("eras 2 and 3: converted to pcim_alloc_irq_vectors() because the tree has it", async () => {
    for (const era of [2, 3] as const) {
      const result = await fix(await audit(assemble(`fix${era}`, LAYERS[era])));
      const patch = result.patches.find((p) => p.unit === implicit);
      assert.match(
        patch?.text ?? "",
        /^\+\tret = pcim_alloc_irq_vectors\(pdev, 1, 4, PCI_IRQ_MSIX \| PCI_IRQ_MSI\);$/m,
        `era ${era}`,
      );
      const body = (patch?.text ?? "").replace(/\s+/g, " ");
      if (era === 3) assert.match(body, /no longer does, so the vectors are never released at detach/);
      else assert.doesNotMatch(body, /no longer does/);
    }
  });

  test("era 3: where no patch is safe, it says what a human must add, and where", async () => {
    const root = assemble("fix3-msi", LAYERS[3]);
    const file = join(root, `${implicit}.c`);
    const text = readFileSync(file, "utf8").replace(
      "pci_alloc_irq_vectors(pdev, 1, 4, PCI_IRQ_MSIX | PCI_IRQ_MSI)",
      "pci_enable_msi(pdev)",
    );
    rmSync(file);
    writeFileSync(file, text);
    const result = await fix(await audit(root));
    assert.equal(
      result.patches.find((p) => p.unit === implicit),
      undefined,
    );
    const skipped = result.skipped.find((s) => s.unit === implicit);
    assert.equal(skipped?.status, "leaks-at-detach");
    assert.match(
      skipped?.reason ?? "",
      /add pci_free_irq_vectors\(\) to implicit_remove\(\) and on every probe error path after pci_enable_msi\(\) at drivers\/misc\/relies-on-implicit-cleanup\.c:14, or allocate with pcim_alloc_irq_vectors\(\) \(no mechanical patch: not converted: pci_enable_msi\(\) .*has no drop-in pcim_ counterpart/,
    );
  });
});

describe("a pull request that moves the era", () => {
  test("era 1 → era 3: the leak is new on the allocation line of a driver the change does not touch", async () => {
    const repo = assemble("repo", LAYERS[1]);
    await git(repo, "init", "-q", "-b", "main");
    await git(repo, "add", ".");
    await git(repo, "commit", "-q", "-m", "era 1");
    const base = await git(repo, "rev-parse", "HEAD");
    rmSync(join(repo, "drivers/pci/msi/msi.c"));
    assemble("repo", ["removed-core", "managed-api"], repo);
    await git(repo, "add", "-A");
    await git(repo, "commit", "-q", "-m", "PCI/MSI: remove the hybrid devres release");
    const head = await git(repo, "rev-parse", "HEAD");

    const result = await checkChange({
      root: repo,
      base,
      head,
      paths: ["drivers/misc"],
      jobs: 1,
      cache: false,
    });
    assert.deepEqual(result.changedFiles.map((file) => file.path).sort(), [
      "drivers/pci/msi/devres.c",
      "drivers/pci/msi/msi.c",
      "include/linux/pci.h",
    ]);
    assert.equal(result.baseReport.tree.era, 1);
    assert.equal(result.report.tree.era, 3);
    assert.match(result.eraChange ?? "", /from era 1 \(hybrid\).* to era 3 \(hybrid removed\)/);
    const findings = result.report.drivers.flatMap((driver) => driver.findings);
    assert.deepEqual(
      findings.map((f) => `${f.ruleId}@${f.file}:${f.line} new=${f.new}`),
      ["msi-leaks-at-detach@drivers/misc/relies-on-implicit-cleanup.c:14 new=true"],
    );
    const summary = prSummaryMarkdown({
      report: result.report,
      resolved: result.resolved,
      changedFiles: result.changedFiles.length,
      baseCommit: result.baseCommit,
      link: { serverUrl: "https://github.com", owner: "o", repo: "r", sha: head },
      failOn: "new",
      blocking: true,
      notes: [],
      eraChange: result.eraChange,
    });
    assert.match(summary, /> \[!IMPORTANT\]\n> This change moves the tree from era 1 \(hybrid\)/);
    assert.match(summary, /every module using the MSI API, since the era changed/);
    assert.match(summary, /a managed driver that relied on it leaks its vectors at detach/);
    // Danger: the leak is in a driver the change does not touch, and is posted all the same.
    const review = planReview({
      report: result.report,
      changedFiles: new Set(result.changedFiles.map((file) => file.path)),
      diffLines: new Map(),
      link: () => undefined,
      options: { failOn: "new", inline: true, suggestions: true },
      eraChange: result.eraChange,
    });
    // Not in the diff, so not inline: the message names the line.
    assert.deepEqual(
      review.violations.map((v) => `${v.kind} ${/relies-on-implicit-cleanup\.c:14/.test(v.message)}`),
      ["fail true"],
    );
    assert.match(review.markdown ?? "", /^> \[!IMPORTANT\]\n> This change moves the tree from era 1/);
    assert.deepEqual(result.resolved.map((f) => f.ruleId).sort(), [
      "msi-double-release",
      "msi-implicit-managed",
    ]);
  });
});

/**
 * `msi-ownership fix` on fixture drivers (test/fixtures/fix, written from scratch): each patch
 * compared byte for byte with the expected one beside its driver, the drivers that get no patch
 * listed with their reason, and the patches applied with git (`git apply --check`, `git am`)
 * and re-audited. UPDATE_EXPECTED=1 rewrites the expected patches (review the diff).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { analyze } from "../src/analyze.js";
import { main } from "../src/cli.js";
import { buildPatches, patchFileName, type FixResult } from "../src/fix/index.js";
import { subjectPrefix } from "../src/fix/message.js";
import { fileDiff } from "../src/fix/patch.js";
import type { Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";

const ROOT = new URL("fixtures/fix/", import.meta.url).pathname;
const FIXED = {
  from: "Fix Test <fix-test@example.com>",
  date: new Date("2026-01-01T00:00:00Z"),
  signature: "msi-ownership test",
};
const UPDATE = process.env.UPDATE_EXPECTED === "1";

async function audit(root: string): Promise<Report> {
  return analyze(await FsSource.open(root), { paths: ["drivers"], cache: false, jobs: 1 });
}

async function patchesFor(report: Report, assumePcimApi: boolean): Promise<FixResult> {
  const source = await FsSource.open(report.tree.root);
  return buildPatches(report, async (path) => (await source.read(path))?.toString("latin1"), {
    ...FIXED,
    assumePcimApi,
  });
}

/** The expected patch of a unit sits beside its driver: `<unit>.patch`, `<unit>.pcim.patch`. */
function expect(unit: string, suffix: string, actual: string): void {
  const path = join(ROOT, `${unit}${suffix}`);
  if (UPDATE) writeFileSync(path, actual, "latin1");
  assert.ok(existsSync(path), `${path} is missing (UPDATE_EXPECTED=1 writes it)`);
  assert.equal(actual, readFileSync(path, "latin1"), `${unit}${suffix} differs from the expected patch`);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.com",
    },
  });
}

describe("fix: fixture drivers", () => {
  let report: Report;
  let result: FixResult;
  let converting: FixResult;
  const scratch: string[] = [];

  before(async () => {
    report = await audit(ROOT);
    result = await patchesFor(report, false);
    converting = await patchesFor(report, true);
  });
  after(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it("writes one patch per driver that can be fixed, equal to the expected patch", () => {
    assert.deepEqual(
      result.patches.map((patch) => patch.unit),
      [
        "drivers/dma/free-in-remove-and-error-label",
        "drivers/misc/release-only-statement",
        "drivers/net/ethernet/acme/free-before-return",
        "drivers/perf/devm-free-action",
      ],
    );
    for (const patch of result.patches) expect(patch.unit, ".patch", patch.text);
    // A .remove left empty goes with its .remove field (the PCI core runs nothing in its place).
    const removeOnly = result.patches[1]?.text ?? "";
    assert.match(
      removeOnly,
      /-static void ros_remove\(struct pci_dev \*pdev\)\n-\{\n-\tpci_free_irq_vectors\(pdev\);\n-\}\n/,
    );
    assert.match(removeOnly, /-\t\.remove\t\t= ros_remove,\n/);
    assert.match(removeOnly, /This changes no behaviour\./);
    const devm = result.patches[3]?.text ?? "";
    assert.match(devm, /-static void dfa_free_vectors\(void \*data\)\n/);
    assert.match(devm, /-\tret = devm_add_action_or_reset\(&pdev->dev, dfa_free_vectors, pdev\);\n/);
    assert.match(devm, /dfa_free_vectors\(\) did nothing else and goes, with its\sregistration\./);
    assert.equal(result.patches[0]?.name, "0001-dmaengine-free-in-remove-and-error-label-Drop-redund.patch");
    for (const patch of result.patches)
      assert.doesNotMatch(patch.text, /crash|double free|frees them again/i);
  });

  it("lists the drivers it cannot fix safely, with the reason", () => {
    const reasons = new Map(result.skipped.map((skipped) => [skipped.unit, skipped.reason]));
    // Both branches of an if/else chain release: no single line can go on its own.
    assert.match(
      reasons.get("drivers/crypto/conditional-release") ?? "",
      /pci_disable_msix\(\) at drivers\/crypto\/conditional-release.c:38: it does not stand on lines of its own/,
    );
    // The fallback to INTx is a re-allocation: nothing to drop, only the conversion.
    assert.match(reasons.get("drivers/misc/intx-fallback") ?? "", /does not declare.*--assume-pcim-api/);
    assert.match(
      reasons.get("drivers/misc/shared-with-suspend") ?? "",
      /pci_free_irq_vectors\(\) at drivers\/misc\/shared-with-suspend.c:22: it is also needed where devres does not follow \(stop calling sws_free_irqs\(\) from sws_remove\(\)/,
    );
    assert.match(reasons.get("drivers/misc/implicit-alloc") ?? "", /does not declare.*--assume-pcim-api/);
    assert.equal(result.skipped.length, 4);
  });

  it("converts with --assume-pcim-api, and says what the patch depends on", () => {
    const byUnit = new Map(converting.patches.map((patch) => [patch.unit, patch]));
    const implicit = byUnit.get("drivers/misc/implicit-alloc");
    const labels = byUnit.get("drivers/dma/free-in-remove-and-error-label");
    assert.ok(implicit !== undefined && labels !== undefined);
    expect(implicit.unit, ".pcim.patch", implicit.text);
    expect(labels.unit, ".pcim.patch", labels.text);
    assert.match(implicit.text, /Subject: \[PATCH\] misc: implicit-alloc: Use pcim_alloc_irq_vectors\(\)/);
    assert.match(
      implicit.text,
      /This depends on\npcim_alloc_irq_vectors\(\)|This depends on pcim_alloc_irq_vectors\(\)/,
    );
    // A release that stays would then release what devres owns: no conversion, and why.
    assert.ok(!byUnit.has("drivers/crypto/conditional-release"));
    assert.match(
      converting.skipped.find((skipped) => skipped.unit === "drivers/crypto/conditional-release")?.reason ??
        "",
      /not converted: pci_disable_msi\(\) at drivers\/crypto\/conditional-release.c:40 stays/,
    );
  });

  it("converts without the caveat when the tree declares pcim_alloc_irq_vectors()", async () => {
    const withApi = await patchesFor(
      { ...report, tree: { ...report.tree, pcimAllocIrqVectors: true } },
      false,
    );
    const implicit = withApi.patches.find((patch) => patch.unit === "drivers/misc/implicit-alloc");
    assert.ok(implicit !== undefined);
    assert.doesNotMatch(implicit.text, /depends on|follows once/);
    // The continuation line stays aligned on the open parenthesis, one column further.
    assert.match(
      implicit.text,
      /\+\tnvec = pcim_alloc_irq_vectors\(pdev, 1, 16,\n\+\t\t\t\t {6}PCI_IRQ_ALL_TYPES\);/,
    );
  });

  it("produces patches that git applies and git am commits, leaving no double release", async () => {
    const repo = mkdtempSync(join(tmpdir(), "msi-fix-"));
    scratch.push(repo);
    cpSync(join(ROOT, "drivers"), join(repo, "drivers"), {
      recursive: true,
      filter: (path) => !path.endsWith(".patch"),
    });
    git(repo, "init", "-q");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "fixtures");
    const dir = mkdtempSync(join(tmpdir(), "msi-fix-patches-"));
    scratch.push(dir);
    for (const patch of result.patches) {
      writeFileSync(join(dir, patch.name), patch.text, "latin1");
      git(repo, "apply", "--check", join(dir, patch.name));
    }
    git(repo, "am", "-q", ...result.patches.map((patch) => join(dir, patch.name)));
    const log = git(repo, "log", "--format=%an <%ae>|%s", `-${result.patches.length}`).trim().split("\n");
    assert.deepEqual(
      log.reverse(),
      result.patches.map((patch) => `Fix Test <fix-test@example.com>|${patch.subject}`),
    );

    const after = await audit(repo);
    for (const patch of result.patches) {
      const driver = after.drivers.find((candidate) => candidate.unit === patch.unit);
      // The explicit releases are gone: what is left is the implicit cleanup, waiting for
      // pcim_alloc_irq_vectors(); no other finding appears.
      assert.equal(driver?.status, "implicit-managed", patch.unit);
      assert.deepEqual(
        [...new Set(driver?.findings.map((finding) => finding.ruleId))],
        ["msi-implicit-managed"],
      );
    }
    const unpatched = (r: Report): string[] =>
      r.drivers
        .filter((driver) => !result.patches.some((patch) => patch.unit === driver.unit))
        .flatMap((driver) => driver.findings.map((finding) => finding.fingerprint))
        .sort();
    assert.deepEqual(unpatched(after), unpatched(report));
  });

  it("keeps the facts-level suggestion for Danger and SARIF in src/fix/edits.ts", () => {
    const driver = report.drivers.find(
      (candidate) => candidate.unit === "drivers/dma/free-in-remove-and-error-label",
    );
    const inRemove = driver?.findings.find((finding) => finding.line === 69);
    assert.deepEqual(inRemove?.fix.edits, [
      {
        file: "drivers/dma/free-in-remove-and-error-label.c",
        startLine: 69,
        startColumn: 1,
        endLine: 70,
        endColumn: 1,
        replacement: "",
      },
    ]);
    // The first statement of a label that another statement follows: its lines can go and
    // leave valid C; the fix command then folds the empty label into the next one.
    const inProbe = driver?.findings.find((finding) => finding.line === 56);
    assert.deepEqual(inProbe?.fix.edits, [
      {
        file: "drivers/dma/free-in-remove-and-error-label.c",
        startLine: 56,
        startColumn: 1,
        endLine: 57,
        endColumn: 1,
        replacement: "",
      },
    ]);
  });
});

describe("fix: suggestions agree with the patches", () => {
  it("proposes no edit for a release the classification keeps, in the report and in fix", async () => {
    const report = await audit(ROOT);
    const shared = report.drivers.find((driver) => driver.unit === "drivers/misc/shared-with-suspend");
    assert.deepEqual(shared?.findings[0]?.fix.edits, []);
    assert.match(shared?.findings[0]?.fix.description ?? "", /Do not delete this release/);
    const source = await FsSource.open(ROOT);
    const result = await buildPatches(report, async (path) => (await source.read(path))?.toString("latin1"), {
      assumePcimApi: false,
      from: "a <a@b>",
      date: new Date(0),
      signature: "x",
    });
    assert.ok(!result.patches.some((patch) => patch.unit === "drivers/misc/shared-with-suspend"));
  });
});

describe("fix: command line", () => {
  it("writes the patches and summary.txt, and prints the summary", async () => {
    const out = mkdtempSync(join(tmpdir(), "msi-fix-cli-"));
    try {
      writeFileSync(join(out, "0009-stale.patch"), "old");
      const printed: string[] = [];
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string) => (
        printed.push(String(chunk)),
        true
      )) as typeof process.stdout.write;
      let status: number;
      try {
        status = await main([
          "fix",
          "drivers",
          "--root",
          ROOT,
          "--no-cache",
          "--jobs",
          "1",
          "--output-dir",
          out,
          "--from",
          FIXED.from,
          "--date",
          "2026-01-01T00:00:00Z",
        ]);
      } finally {
        process.stdout.write = write;
      }
      assert.equal(status, 0);
      const summary = readFileSync(join(out, "summary.txt"), "utf8");
      // The runner reports through stdout too: look for the summary among what was written.
      assert.ok(printed.includes(summary), "the summary is printed");
      assert.match(summary, /^4 patches\n/);
      assert.match(
        summary,
        /drivers\/misc\/intx-fallback \[implicit-managed\]: relies on the hidden devres cleanup/,
      );
      assert.ok(!existsSync(join(out, "0009-stale.patch")), "patches of an earlier run are removed");
      const name = "0003-net-free-before-return-Drop-redundant-pci_free_irq_v.patch";
      const text = readFileSync(join(out, name), "latin1");
      assert.match(
        text,
        /^From 0{40} Mon Sep 17 00:00:00 2001\nFrom: Fix Test <fix-test@example\.com>\nDate: Thu, 1 Jan 2026 00:00:00 \+0000\n/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("refuses bad usage with exit status 2", async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (
      errors.push(String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      assert.equal(await main(["fix", "--root", ROOT]), 2);
      assert.equal(await main(["fix", "--root", ROOT, "--output-dir", "/tmp/x", "--from", "nobody"]), 2);
      assert.equal(await main(["fix", "--root", ROOT, "--output-dir", "/tmp/x", "--date", "someday"]), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(errors.join(""), /--output-dir is required/);
    assert.match(errors.join(""), /--from: expected 'Name <address>', got 'nobody'/);
    assert.match(errors.join(""), /--date: not a date: 'someday'/);
  });
});

describe("fix: pieces", () => {
  it("uses the subject prefixes of the subsystems", () => {
    assert.equal(subjectPrefix("drivers/net/ethernet/intel/ice", "ice"), "net: ice:");
    assert.equal(subjectPrefix("drivers/ata/ahci", "ahci"), "ata: ahci:");
    assert.equal(subjectPrefix("drivers/crypto/ccp", "ccp"), "crypto: ccp -");
    assert.equal(
      subjectPrefix("drivers/net/wireless/mediatek/mt76/mt7915/mt7915e", "mt7915e"),
      "wifi: mt76: mt7915:",
    );
    assert.equal(subjectPrefix("drivers/dma/plx_dma", "plx_dma"), "dmaengine: plx_dma:");
    assert.equal(subjectPrefix("drivers/i2c/busses/i2c-nvidia-gpu", "i2c-nvidia-gpu"), "i2c: nvidia-gpu:");
    assert.equal(subjectPrefix("drivers/gpu/drm/vmwgfx", "vmwgfx"), "drm/vmwgfx:");
    // A module with a directory of its own goes by the directory.
    assert.equal(
      subjectPrefix("drivers/crypto/inside-secure/crypto_safexcel", "crypto_safexcel", "inside-secure"),
      "crypto: inside-secure -",
    );
    assert.equal(subjectPrefix("drivers/thunderbolt", "thunderbolt"), "thunderbolt:");
    // No table entry: the subsystem directory and the module.
    assert.equal(subjectPrefix("drivers/watchdog/foo_wdt", "foo_wdt"), "watchdog: foo_wdt:");
  });

  it("names patch files as git format-patch does", () => {
    assert.equal(
      patchFileName(7, "net: ice: Drop redundant pci_free_irq_vectors()"),
      "0007-net-ice-Drop-redundant-pci_free_irq_vectors.patch",
    );
  });

  it("marks a last line without a newline, and git applies it", () => {
    const dir = mkdtempSync(join(tmpdir(), "msi-fix-eol-"));
    try {
      const before = "a\nb\nc\nd\ne";
      const after = "a\nb\nc\nd\nE";
      const { text } = fileDiff({ path: "f.c", before, after });
      assert.match(text, /-e\n\\ No newline at end of file\n\+E\n\\ No newline at end of file\n$/);
      writeFileSync(join(dir, "f.c"), before);
      writeFileSync(join(dir, "f.patch"), text);
      git(dir, "init", "-q");
      git(dir, "apply", "f.patch");
      assert.equal(readFileSync(join(dir, "f.c"), "utf8"), after);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes separate hunks with the right line numbers", () => {
    const before = `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n")}\n`;
    const after = before.replace("line 3\n", "").replace("line 25\n", "line 25 changed\nextra\n");
    const { text, added, removed } = fileDiff({ path: "f.c", before, after });
    assert.equal(added, 2);
    assert.equal(removed, 2);
    const headers = text.split("\n").filter((line) => line.startsWith("@@"));
    assert.deepEqual(headers, ["@@ -1,6 +1,5 @@", "@@ -22,7 +21,8 @@ line 21"]);
  });
});

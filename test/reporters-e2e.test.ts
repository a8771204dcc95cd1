/**
 * The reporters on real analyses: a small tree written for these tests (a module across two
 * files, an implicit-managed driver, an unmanaged one, a MAINTAINERS file) and, when
 * KERNEL_TREE is set, the Linux 6.12 audit.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { main } from "../src/cli.js";
import { runAudit } from "../src/commands/audit.js";
import { applyBaseline, readBaseline } from "../src/report/baseline.js";
import { formatReport, loadFormatOptions } from "../src/report/index.js";
import { needsConversionCount } from "../src/report/markdown.js";
import { FINGERPRINT_KEY, toSarif } from "../src/report/sarif.js";
import { NEEDS_CONVERSION, type Report } from "../src/report/types.js";
import { assertNumbersMatch } from "./helpers/markdown-numbers.js";
import { assertValidSarif } from "./helpers/sarif-schema.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const fixtureTree = fileURLToPath(new URL("./fixtures/audit-tree", import.meta.url));

function audit(root: string, paths: string[] = []): Promise<Report> {
  return runAudit(paths, { root, format: "json", failOn: "never", cache: false, jobs: "1" });
}

async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  // The CLI writes its one-line notes to stderr; keep the test output readable.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await fn();
  } finally {
    process.stderr.write = write;
  }
}

describe("reporters on the fixture tree", () => {
  let report: Report;
  let dir: string;
  before(async () => {
    report = await audit(fixtureTree);
    dir = await mkdtemp(join(tmpdir(), "msi-reporters-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("the analysis sees what the fixtures were written to show", () => {
    const statuses = Object.fromEntries(report.drivers.map((driver) => [driver.unit, driver.status]));
    assert.deepEqual(statuses, {
      "drivers/net/acme": "double-release",
      "drivers/misc/widget": "implicit-managed",
      "drivers/misc/plain": "unmanaged",
    });
  });

  it("SARIF validates, one result per finding, evidence across the module's files", async () => {
    const options = await loadFormatOptions("sarif", { root: fixtureTree });
    const log = JSON.parse(formatReport(report, "sarif", options)) as ReturnType<typeof toSarif>;
    assertValidSarif(log);
    const results = log.runs[0]!.results!;
    assert.equal(results.length, report.drivers.flatMap((driver) => driver.findings).length);
    const acme = results.find((result) => result.ruleId === "msi-double-release")!;
    const files = new Set(
      acme.relatedLocations!.map((location) => location.physicalLocation!.artifactLocation!.uri),
    );
    assert.ok(
      files.has("drivers/net/acme/acme_main.c") && files.has("drivers/net/acme/acme_irq.c"),
      [...files].join(", "),
    );
    assert.ok(log.runs[0]!.originalUriBaseIds!["%SRCROOT%"]!.uri!.startsWith("file:///"));
    assert.ok(log.runs[0]!.originalUriBaseIds!["%SRCROOT%"]!.uri!.endsWith("/audit-tree/"));
  });

  it("Markdown: the numbers are the JSON's, the sections come from the tree's MAINTAINERS", async () => {
    const options = await loadFormatOptions("markdown", {
      root: fixtureTree,
      linkBase: "https://github.com/o/r/blob/abc/",
    });
    const markdown = formatReport(report, "markdown", options);
    const json = JSON.parse(formatReport(report, "json")) as Report;
    assertNumbersMatch(markdown, json);
    assert.match(
      markdown,
      /#### ACME NETWORK DRIVER \(1\)\n\nMaintainers: \[Ada Lovelace\]\(mailto:ada@example\.org\) · Lists: netdev@example\.org/,
    );
    assert.match(markdown, /#### MISC DRIVERS \(1\)/);
    assert.match(
      markdown,
      /\(https:\/\/github\.com\/o\/r\/blob\/abc\/drivers\/net\/acme\/acme_main\.c#L\d+\)/,
    );
  });

  it("--previous: a missing or foreign file is refused with its name", async () => {
    await assert.rejects(
      loadFormatOptions("markdown", { root: fixtureTree, previous: join(dir, "nope.json") }),
      /--previous .*nope\.json: cannot read \(no such file\)/,
    );
    const sarifFile = join(dir, "log.sarif");
    await writeFile(sarifFile, JSON.stringify(toSarif(report)));
    await assert.rejects(
      loadFormatOptions("markdown", { root: fixtureTree, previous: sarifFile }),
      /log\.sarif: not a msi-ownership JSON report/,
    );
    const previousFile = join(dir, "previous.json");
    await writeFile(
      previousFile,
      formatReport(
        {
          ...report,
          drivers: [],
          summary: { ...report.summary, "implicit-managed": 0, "double-release": 0 },
        },
        "json",
      ),
    );
    const options = await loadFormatOptions("markdown", { root: fixtureTree, previous: previousFile });
    assert.match(
      formatReport(report, "markdown", options),
      /Needing conversion: 0 → 2 \(\+2\); 0 drivers converted or gone, 2 new\./,
    );
  });

  it("`msi-ownership baseline` writes the fingerprints; applied, they drop every finding and are counted", async () => {
    const file = join(dir, "baseline.json");
    const code = await quietly(() =>
      main(["baseline", "--root", fixtureTree, "--no-cache", "--jobs", "1", "--output", file]),
    );
    assert.equal(code, 0);
    const baseline = await readBaseline(file);
    const fingerprints = report.drivers
      .flatMap((driver) => driver.findings.map((finding) => finding.fingerprint))
      .sort();
    assert.deepEqual(baseline.fingerprints, fingerprints);
    const accepted = applyBaseline(report, baseline);
    assert.equal(accepted.stats.baselined, fingerprints.length);
    assert.equal(accepted.drivers.flatMap((driver) => driver.findings).length, 0);
    assert.deepEqual(accepted.summary, report.summary);
    const markdown = formatReport(accepted, "markdown");
    assert.match(markdown, /2 findings accepted by the baseline/);
  });

  it("`msi-ownership baseline` with a bad root exits 2 naming it", async () => {
    const missing = join(dir, "no-such-tree");
    let stderr = "";
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      stderr += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      assert.equal(await main(["baseline", "--root", missing, "--output", join(dir, "b.json")]), 2);
    } finally {
      process.stderr.write = write;
    }
    assert.match(stderr, new RegExp(`--root ${missing.replace(/[/.]/g, "\\$&")}: no such directory`));
  });

  it("SARIF partial fingerprints survive an unrelated edit (upload-sarif keeps the alerts)", async () => {
    const copy = join(dir, "tree");
    await cp(fixtureTree, copy, { recursive: true });
    const irq = join(copy, "drivers/net/acme/acme_irq.c");
    const text = await readFile(irq, "utf8");
    // Lines above the findings move every line number down by three.
    await writeFile(
      irq,
      text.replace(
        "#include <linux/pci.h>\n",
        "#include <linux/pci.h>\n#include <linux/interrupt.h>\n\n/* Unrelated. */\n",
      ),
    );
    const edited = await audit(copy);
    const fingerprints = (r: Report): string[] =>
      toSarif(r)
        .runs[0]!.results!.map((result) => result.partialFingerprints![FINGERPRINT_KEY]!)
        .sort();
    assert.deepEqual(fingerprints(edited), fingerprints(report));
    const line = (r: Report): number =>
      r.drivers.find((driver) => driver.module === "acme")!.findings[0]!.line;
    assert.equal(line(edited), line(report) + 3);
  });
});

const tree = KERNEL_TREE;
describeKernelTree("reporters on the Linux 6.12 audit", () => {
  let report: Report;
  before(async () => {
    // The whole drivers/ tree, as the scheduled workflow audits it; the facts cache makes reruns fast.
    report = await runAudit([], {
      root: tree!,
      format: "json",
      failOn: "never",
      ...(process.env.MSI_OWNERSHIP_CACHE ? { cache: process.env.MSI_OWNERSHIP_CACHE } : {}),
    });
  });

  it("its SARIF validates against the SARIF 2.1.0 schema", async () => {
    const log = JSON.parse(
      formatReport(report, "sarif", await loadFormatOptions("sarif", { root: tree! })),
    ) as unknown;
    assertValidSarif(log);
    const results = (log as ReturnType<typeof toSarif>).runs[0]!.results!;
    assert.equal(results.length, report.drivers.flatMap((driver) => driver.findings).length);
    assert.ok(results.length > 50, `${results.length} results`);
    const keys = new Set(results.map((result) => result.partialFingerprints![FINGERPRINT_KEY]));
    assert.equal(keys.size, results.length, "fingerprints are unique");
  });

  it("its Markdown summary's numbers equal the JSON report's, grouped by the real MAINTAINERS", async (t) => {
    const markdown = formatReport(report, "markdown", await loadFormatOptions("markdown", { root: tree! }));
    assertNumbersMatch(markdown, report);
    assert.equal(
      needsConversionCount(report.summary),
      report.drivers.filter((driver) => NEEDS_CONVERSION.includes(driver.status)).length,
    );
    const cxl = report.drivers.find((driver) => driver.files.includes("drivers/cxl/pci.c"));
    if (cxl && NEEDS_CONVERSION.includes(cxl.status))
      assert.match(markdown, /#### COMPUTE EXPRESS LINK \(CXL\) \(\d+\)/);
    const ice = report.drivers.find((driver) =>
      driver.files.includes("drivers/net/ethernet/intel/ice/ice_main.c"),
    );
    if (ice && NEEDS_CONVERSION.includes(ice.status))
      assert.match(markdown, /#### INTEL ETHERNET DRIVERS \(\d+\)/);
    t.diagnostic(
      `6.12 summary: ${Object.entries(report.summary)
        .map(([status, count]) => `${status} ${count}`)
        .join(", ")}`,
    );
  });
});

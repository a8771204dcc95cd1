import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseMaintainers } from "../src/report/maintainers.js";
import {
  conversionChecklist,
  needsConversionCount,
  snapshotOf,
  toMarkdown,
  trendOf,
} from "../src/report/markdown.js";
import { NEEDS_CONVERSION, type Report, type Status } from "../src/report/types.js";
import { assertNumbersMatch } from "./helpers/markdown-numbers.js";
import { driver, finding, report, sampleReport } from "./helpers/sample-report.js";

const maintainers = parseMaintainers(
  readFileSync(new URL("./fixtures/maintainers/MAINTAINERS", import.meta.url), "utf8"),
);

describe("toMarkdown", () => {
  const sample = sampleReport();

  it("its numbers are the JSON report's summary", () => {
    assertNumbersMatch(toMarkdown(sample, { maintainers }), sample);
    assertNumbersMatch(toMarkdown(sample), sample);
  });

  it("the numbers check bites: a report whose summary disagrees is caught", () => {
    const wrong: Report = { ...sample, summary: { ...sample.summary, "implicit-managed": 5 } };
    assert.throws(() => assertNumbersMatch(toMarkdown(wrong), sample));
  });

  it("groups drivers needing conversion by MAINTAINERS section with maintainers and lists", () => {
    const markdown = toMarkdown(sample, { maintainers });
    assert.match(
      markdown,
      /#### ACME PCI DRIVERS \(1\)\n\nMaintainers: \[Ada Lovelace\]\(mailto:ada@example\.org\) · Lists: acme-devel@example\.org · Status: Supported/,
    );
    assert.match(markdown, /#### FOO DRIVERS BY NAME \(1\)/);
    // drivers/cxl is only covered by THE REST in the fixture.
    assert.match(markdown, /#### THE REST \(1\)\n\nMaintainers: \[Linus\]\(mailto:linus@example\.org\)/);
    // Drivers that need nothing are counted but not listed.
    assert.doesNotMatch(markdown, /drivers\/misc\/bar/);
    assert.doesNotMatch(markdown, /acme\/legacy/);
  });

  it("without MAINTAINERS, groups by directory", () => {
    const markdown = toMarkdown(sample);
    assert.match(markdown, /### Drivers needing conversion, by directory/);
    assert.match(markdown, /#### drivers\/net \(1\)/);
    assert.match(markdown, /#### drivers\/misc \(1\)/);
  });

  it("links each driver's evidence to its lines", () => {
    const base = "https://github.com/o/linux/blob/0123abc";
    const markdown = toMarkdown(sample, { linkBase: base });
    assert.ok(
      markdown.includes(
        `managed by \`pcim_enable_device()\` at [acme_main.c:5288](${base}/drivers/net/ethernet/acme/acme_main.c#L5288) in \`acme_probe()\`<br>vectors allocated by \`pci_alloc_irq_vectors()\` at [acme_irq.c:197](${base}/drivers/net/ethernet/acme/acme_irq.c#L197) in \`acme_init_interrupt_scheme()\`<br>released by \`pci_free_irq_vectors()\` at [acme_irq.c:245](${base}/drivers/net/ethernet/acme/acme_irq.c#L245)`,
      ),
      markdown,
    );
    // Without a link base, the places are still there.
    assert.match(
      toMarkdown(sample),
      /managed by `pcim_enable_device\(\)` at acme_main\.c:5288 in `acme_probe\(\)`/,
    );
  });

  it("draws a Mermaid pie of the non-zero statuses", () => {
    const markdown = toMarkdown(sample);
    assert.match(
      markdown,
      /```mermaid\npie showData title Drivers by MSI ownership status\n {4}"double-release" : 1\n/,
    );
    assert.doesNotMatch(toMarkdown(report([])), /mermaid/);
  });

  it("with a previous report, says what was converted and what appeared", () => {
    const before = report([
      driver({ unit: "drivers/net/ethernet/acme", module: "acme", status: "double-release" }),
      driver({ unit: "drivers/old", status: "implicit-managed" }),
      driver({ unit: "drivers/misc/bar", module: "bar", status: "implicit-managed" }),
    ]);
    const markdown = toMarkdown(sample, { previous: before });
    assert.match(markdown, /Needing conversion: 3 → 3 \(0\); 2 drivers converted or gone, 2 new\./);
    assert.match(
      markdown,
      /\*\*Converted or gone\*\*\n\n- `drivers\/misc\/bar:bar` \(was implicit-managed\)\n- `drivers\/old:old` \(was implicit-managed\)/,
    );
    assert.match(
      markdown,
      /\*\*Newly needing conversion\*\*\n\n- `drivers\/cxl:cxl_pci`: implicit-managed\n- `drivers\/misc\/foo7:foo7`: converted-double-release/,
    );
    assert.match(markdown, /\| implicit-managed \| 2 \| 1 \| −1 \|/);
    assert.match(markdown, /\| converted \| 0 \| 1 \| \+1 \|/);
    // A snapshot (what the tracking issue keeps) gives the same trend as the full report.
    assert.equal(toMarkdown(sample, { previous: snapshotOf(before) }), markdown);
  });

  it("text from the report cannot inject Markdown", () => {
    const hostile = report([
      driver({ unit: "drivers/x", module: "x<img src=y>|", status: "implicit-managed" }),
    ]);
    const markdown = toMarkdown(hostile);
    assert.ok(markdown.includes("x\\<img src=y\\>\\|"), markdown);
  });
});

describe("trend and checklist", () => {
  it("trendOf counts per status and by driver key", () => {
    const a = snapshotOf(report([driver({ unit: "drivers/a", status: "implicit-managed" })]));
    const b = snapshotOf(
      report([
        driver({ unit: "drivers/a", status: "converted" }),
        driver({ unit: "drivers/b", status: "double-release" }),
      ]),
    );
    const trend = trendOf(a, b);
    assert.deepEqual(trend.converted, ["drivers/a:a"]);
    assert.deepEqual(trend.appeared, ["drivers/b:b"]);
    assert.equal(trend.delta["implicit-managed"], -1);
    assert.equal(trend.delta.converted, 1);
    assert.equal(needsConversionCount(b.summary), 1);
  });

  it("a snapshot that kept counts only gives a trend without driver lists", () => {
    const a = {
      ...snapshotOf(report([driver({ unit: "drivers/a", status: "implicit-managed" })])),
      needsConversion: {},
      driversOmitted: true,
    };
    const now = report([
      driver({ unit: "drivers/b", status: "double-release" }),
      driver({ unit: "drivers/c", status: "double-release" }),
    ]);
    assert.equal(trendOf(a, snapshotOf(now)).byDriver, false);
    const markdown = toMarkdown(now, { previous: a });
    assert.match(
      markdown,
      /Needing conversion: 1 → 2 \(\+1\) \(the previous run kept counts only, not which drivers\)\./,
    );
    assert.doesNotMatch(markdown, /Newly needing conversion/);
  });

  it("the checklist has one unchecked line per driver needing conversion", () => {
    const sample = sampleReport();
    const lines = conversionChecklist(sample, { maintainers, linkBase: "https://h/o/r/blob/s" });
    assert.equal(lines.length, needsConversionCount(sample.summary));
    assert.equal(
      lines[0],
      "- [ ] `drivers/cxl` (cxl\\_pci): implicit-managed at [drivers/cxl/pci.c:467](https://h/o/r/blob/s/drivers/cxl/pci.c#L467) · THE REST",
    );
    for (const line of lines) assert.match(line, /^- \[ \] /);
    const statuses = new Set<Status>(lines.map((line) => /: ([a-z-]+)( at|$)/.exec(line)![1] as Status));
    for (const status of statuses) assert.ok(NEEDS_CONVERSION.includes(status));
  });
});

describe("evidence of a driver with several findings", () => {
  it("a later finding lists only the steps not shown already", () => {
    const enable = {
      file: "drivers/a/a.c",
      line: 5,
      column: 2,
      role: "managed-enable" as const,
      function: "a_probe",
      text: "pcim_enable_device(pdev)",
    };
    const alloc = {
      file: "drivers/a/a.c",
      line: 9,
      column: 2,
      role: "hybrid-alloc" as const,
      function: "a_probe",
      text: "pci_alloc_irq_vectors(...)",
    };
    const release = (line: number) => ({
      file: "drivers/a/a.c",
      line,
      column: 2,
      role: "release" as const,
      function: "a_remove",
      text: "pci_free_irq_vectors(pdev)",
    });
    const twice = report([
      driver({
        unit: "drivers/a",
        status: "double-release",
        findings: [
          finding({ file: "drivers/a/a.c", line: 30, evidence: [enable, alloc, release(30)] }),
          finding({ file: "drivers/a/a.c", line: 40, evidence: [enable, alloc, release(40)] }),
        ],
      }),
    ]);
    assert.match(
      toMarkdown(twice),
      /\| managed by `pcim_enable_device\(\)` at a\.c:5 in `a_probe\(\)`<br>vectors allocated by `pci_alloc_irq_vectors\(\)` at a\.c:9 in `a_probe\(\)`<br>released by `pci_free_irq_vectors\(\)` at a\.c:30 in `a_remove\(\)`<br>released again by devres at detach \(a no-op today\)<br><br>released by `pci_free_irq_vectors\(\)` at a\.c:40 in `a_remove\(\)` \|/,
    );
  });
});

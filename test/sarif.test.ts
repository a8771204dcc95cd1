import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RULES } from "../src/rules/index.js";
import { FINGERPRINT_KEY, SRCROOT, toSarif } from "../src/report/sarif.js";
import type { Report } from "../src/report/types.js";
import { assertValidSarif, validateSarif as validate } from "./helpers/sarif-schema.js";
import { driver, finding, report, sampleReport } from "./helpers/sample-report.js";

describe("toSarif", () => {
  const sample = sampleReport();
  const log = toSarif(sample, { srcRootUri: "file:///home/ci/linux/" });
  const run = log.runs[0]!;

  it("validates against the SARIF 2.1.0 schema", () => {
    assertValidSarif(log);
    assertValidSarif(toSarif(report([])));
  });

  it("the schema check bites: a result without a message is rejected", () => {
    const broken = structuredClone(log) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    delete broken.runs[0]!.results[0]!.message;
    assert.equal(validate(broken), false);
  });

  it("describes every rule from src/rules with its metadata", () => {
    const driverRules = run.tool.driver.rules!;
    assert.deepEqual(
      driverRules.map((rule) => rule.id),
      RULES.map((rule) => rule.id),
    );
    for (const [index, rule] of RULES.entries()) {
      const descriptor = driverRules[index]!;
      assert.equal(descriptor.shortDescription?.text, rule.title);
      assert.equal(descriptor.fullDescription?.text, rule.rationale);
      assert.equal(descriptor.defaultConfiguration?.level, rule.severity);
      assert.match(descriptor.help!.markdown!, /```c\n/);
      assert.ok(descriptor.help!.text.includes(rule.fix));
      assert.ok((descriptor.properties!.tags as string[]).includes("pci"));
      assert.match(descriptor.name!, /^[A-Z][A-Za-z0-9]+$/);
    }
    assert.equal(run.tool.driver.name, "msi-ownership");
    assert.equal(run.tool.driver.version, "0.1.0");
    assert.ok(run.tool.driver.informationUri);
  });

  it("one result per finding, with its rule index, level, location and fingerprint", () => {
    const findings = sample.drivers.flatMap((entry) => entry.findings);
    assert.equal(run.results!.length, findings.length);
    for (const [index, result] of run.results!.entries()) {
      const source = findings[index]!;
      assert.equal(run.tool.driver.rules![result.ruleIndex!]!.id, result.ruleId);
      assert.equal(result.ruleId, source.ruleId);
      assert.equal(result.level, source.severity);
      const location = result.locations![0]!.physicalLocation!;
      assert.deepEqual(location.artifactLocation, { uri: source.file, uriBaseId: SRCROOT });
      assert.deepEqual(location.region, { startLine: source.line, startColumn: source.column });
      assert.deepEqual(result.partialFingerprints, { [FINGERPRINT_KEY]: source.fingerprint });
    }
    assert.deepEqual(run.originalUriBaseIds![SRCROOT]!.uri, "file:///home/ci/linux/");
  });

  it("the evidence chain becomes related locations the message links to", () => {
    const result = run.results![0]!;
    assert.equal(result.relatedLocations!.length, 4);
    const [enable, , release] = result.relatedLocations!;
    assert.equal(enable!.id, 1);
    assert.equal(enable!.physicalLocation!.artifactLocation!.uri, "drivers/net/ethernet/acme/acme_main.c");
    assert.equal(enable!.physicalLocation!.region!.startLine, 5288);
    // The same words as every other face (src/report/evidence.ts).
    assert.equal(
      enable!.message!.text,
      "managed by pcim_enable_device() at acme_main.c:5288 in acme_probe()",
    );
    assert.equal(
      release!.message!.text,
      "released by pci_free_irq_vectors() at acme_irq.c:245 in acme_clear_interrupt_scheme()",
    );
    assert.match(
      result.message.text!,
      /\[managed by pcim_enable_device\(\) at acme_main\.c:5288 in acme_probe\(\)\]\(1\); .*\[acme_remove\(\) at acme_main\.c:5400 is [^\]]*\]\(4\)\.$/,
    );
  });

  it("brackets in a message are escaped so they are not read as links", () => {
    const text = run.results![2]!.message.text!;
    assert.ok(
      text.startsWith(
        "Vectors from pcim_alloc_irq_vectors() are also released explicitly \\[in foo7_remove()\\]",
      ),
      text,
    );
  });

  it("mechanical fixes become artifact changes; others have none", () => {
    const [acme, cxl, foo] = run.results!;
    assert.deepEqual(cxl!.fixes, [
      {
        description: { text: "Allocate with pcim_alloc_irq_vectors()." },
        artifactChanges: [
          {
            artifactLocation: { uri: "drivers/cxl/pci.c", uriBaseId: SRCROOT },
            replacements: [
              {
                deletedRegion: { startLine: 467, startColumn: 8, endLine: 467, endColumn: 29 },
                insertedContent: { text: "pcim_alloc_irq_vectors" },
              },
            ],
          },
        ],
      },
    ]);
    assert.equal(acme!.fixes![0]!.artifactChanges[0]!.replacements[0]!.insertedContent!.text, "");
    assert.equal(foo!.fixes, undefined);
  });

  it("paths that are not plain URI characters are percent-encoded and still validate", () => {
    const odd = report([
      driver({
        unit: "drivers/odd dir",
        status: "double-release",
        findings: [finding({ file: "drivers/odd dir/a#b%.c", line: 1 })],
      }),
    ]);
    const oddLog = toSarif(odd);
    assertValidSarif(oddLog);
    assert.equal(
      oddLog.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri,
      "drivers/odd%20dir/a%23b%25.c",
    );
  });

  it("a finding of an unknown rule gets a minimal descriptor instead of a dangling index", () => {
    const future: Report = report([
      driver({
        unit: "drivers/x",
        status: "double-release",
        findings: [finding({ ruleId: "msi-future", file: "drivers/x/x.c", line: 3 })],
      }),
    ]);
    const futureLog = toSarif(future);
    assertValidSarif(futureLog);
    const result = futureLog.runs[0]!.results![0]!;
    assert.equal(futureLog.runs[0]!.tool.driver.rules![result.ruleIndex!]!.id, "msi-future");
  });

  it("warnings become tool notifications; the summary rides along in properties", () => {
    const warned = toSarif({ ...sample, warnings: ["drivers/x/y.c: cannot parse"] });
    assertValidSarif(warned);
    assert.equal(
      warned.runs[0]!.invocations![0]!.toolExecutionNotifications![0]!.message.text,
      "drivers/x/y.c: cannot parse",
    );
    assert.deepEqual(warned.runs[0]!.properties!.summary, sample.summary);
  });
});

/**
 * The report format in the repository: schemas/report.schema.json and
 * schemas/baseline.schema.json validate real outputs (the fixture trees, a PR-mode report, a
 * baseline, and Linux 6.12 with KERNEL_TREE), and their enums are the code's own constants.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, it } from "node:test";
import { Ajv } from "ajv";
import { analyze } from "../src/analyze.js";
import { baselineOf } from "../src/report/baseline.js";
import { PATH_KINDS, STATUSES, type Report } from "../src/report/types.js";
import { RULES } from "../src/rules/index.js";
import { FsSource } from "../src/scan/source.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const schema = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
const validateReport = ajv.compile(schema("report.schema.json"));
const validateBaseline = ajv.compile(schema("baseline.schema.json"));

function assertValid(report: unknown, what: string): void {
  assert.ok(validateReport(report), `${what}: ${ajv.errorsText(validateReport.errors)}`);
}

const FIXTURES = ["patterns", "truth", "fix", "audit-tree"];

describe("the report schema", () => {
  const reports = new Map<string, Report>();
  before(async () => {
    for (const name of FIXTURES) {
      const root = new URL(`fixtures/${name}/`, import.meta.url).pathname;
      reports.set(
        name,
        await analyze(await FsSource.open(root), { paths: ["drivers"], cache: false, jobs: 1 }),
      );
    }
  });

  it("accepts the reports of the fixture trees, and a PR-mode report with new flags", () => {
    for (const [name, report] of reports) assertValid(report, name);
    const patterns = reports.get("patterns") as Report;
    const marked = {
      ...patterns,
      drivers: patterns.drivers.map((driver) => ({
        ...driver,
        findings: driver.findings.map((finding, index) => ({ ...finding, new: index % 2 === 0 })),
      })),
    };
    assertValid(marked, "PR mode");
  });

  it("refuses what is not a report: an unknown status, a fingerprint of another shape", () => {
    const report = reports.get("patterns") as Report;
    const broken = structuredClone(report) as unknown as { drivers: { status: string }[] };
    (broken.drivers[0] as { status: string }).status = "leaky";
    assert.equal(validateReport(broken), false);
    const fingerprint = structuredClone(report);
    const finding = fingerprint.drivers.flatMap((driver) => driver.findings)[0];
    assert.ok(finding);
    finding.fingerprint = "not-hex";
    assert.equal(validateReport(fingerprint), false);
  });

  it("accepts a baseline written from a report, and refuses a duplicate", () => {
    const baseline = baselineOf(reports.get("patterns") as Report);
    assert.ok(validateBaseline(baseline), ajv.errorsText(validateBaseline.errors));
    const first = baseline.fingerprints[0] as string;
    assert.equal(validateBaseline({ ...baseline, fingerprints: [first, first] }), false);
  });

  it("names exactly the code's statuses, rules, severities and path kinds", () => {
    const definitions = schema("report.schema.json").definitions as Record<string, Record<string, unknown>>;
    assert.deepEqual(definitions.status?.enum, [...STATUSES]);
    const finding = definitions.finding?.properties as Record<string, { enum?: unknown[] }>;
    assert.deepEqual([...(finding.ruleId?.enum ?? [])].sort(), RULES.map((rule) => rule.id).sort());
    const evidence = definitions.evidence?.properties as Record<string, { enum?: unknown[] }>;
    assert.deepEqual(evidence.path?.enum, [...PATH_KINDS]);
  });
});

describeKernelTree("the report schema on Linux 6.12", () => {
  it("accepts the audit of drivers/", async () => {
    const report = await analyze(await FsSource.open(KERNEL_TREE as string), { paths: ["drivers"] });
    assertValid(report, "6.12");
    assert.ok(validateBaseline(baselineOf(report)), ajv.errorsText(validateBaseline.errors));
  });
});

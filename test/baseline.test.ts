import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  applyBaseline,
  BASELINE_SCHEMA,
  baselineOf,
  parseBaseline,
  readBaseline,
  writeBaseline,
} from "../src/report/baseline.js";
import { InputError } from "../src/scan/source.js";
import { sampleReport } from "./helpers/sample-report.js";

describe("baseline", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "msi-baseline-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("writes every fingerprint once, sorted, under its schema", () => {
    const report = sampleReport();
    const text = writeBaseline(report);
    const parsed = JSON.parse(text) as { schema: string; fingerprints: string[] };
    assert.equal(parsed.schema, BASELINE_SCHEMA);
    assert.deepEqual(parsed.fingerprints, ["0011223344556677", "3f1c2a9d0b7e4c11", "a0b1c2d3e4f5a6b7"]);
    assert.ok(text.endsWith("\n"));
  });

  it("drops accepted findings, counts them, and leaves statuses and the summary alone", () => {
    const report = sampleReport();
    const accepted = applyBaseline(report, {
      schema: BASELINE_SCHEMA,
      fingerprints: ["3f1c2a9d0b7e4c11", "not-in-report"],
    });
    assert.equal(accepted.stats.baselined, 1);
    assert.deepEqual(accepted.summary, report.summary);
    assert.deepEqual(
      accepted.drivers.map((driver) => driver.status),
      report.drivers.map((driver) => driver.status),
    );
    assert.equal(accepted.drivers[0]!.findings.length, 0);
    assert.equal(accepted.drivers[1]!.findings.length, 1);
    // The input is not modified.
    assert.equal(report.drivers[0]!.findings.length, 1);
    assert.equal(report.stats.baselined, undefined);
    // Applying the whole baseline of a report leaves no findings.
    const all = applyBaseline(report, baselineOf(report));
    assert.equal(all.drivers.flatMap((driver) => driver.findings).length, 0);
    assert.equal(all.stats.baselined, 3);
  });

  it("round-trips through a file", async () => {
    const path = join(dir, "baseline.json");
    await writeFile(path, writeBaseline(sampleReport()));
    assert.deepEqual(await readBaseline(path), baselineOf(sampleReport()));
  });

  it("errors name the file and say what is wrong", async () => {
    const missing = join(dir, "missing.json");
    await assert.rejects(readBaseline(missing), (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.message, `--baseline ${missing}: cannot read (no such file)`);
      return true;
    });
    const directory = join(dir, "a-directory");
    await mkdir(directory);
    await assert.rejects(readBaseline(directory), /a-directory: cannot read \(is a directory\)/);
    assert.throws(() => parseBaseline("{", "b.json"), /--baseline b\.json: not JSON \(/);
    assert.throws(
      () => parseBaseline('{"schema":"msi-ownership/report@1"}', "r.json"),
      /--baseline r\.json: not a baseline \(expected "schema": "msi-ownership\/baseline@1"/,
    );
    assert.throws(
      () => parseBaseline(`{"schema":"${BASELINE_SCHEMA}","fingerprints":[1]}`, "n.json"),
      /n\.json: "fingerprints" must be an array of strings/,
    );
    const written = join(dir, "report.json");
    await writeFile(written, JSON.stringify(sampleReport()));
    await assert.rejects(readBaseline(written), /report\.json: not a baseline/);
    assert.equal((await readFile(written, "utf8")).length > 0, true);
  });
});

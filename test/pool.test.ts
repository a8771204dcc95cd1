import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ParseError } from "../src/parse/parser.js";
import { parseOne } from "../src/scan/parse-worker.js";
import { isParseFailure, parseFiles, planBatches } from "../src/scan/pool.js";
import type { SourceInput } from "../src/scan/pool.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

function cFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".c"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every C fixture of the repository (ours under pool/ and the others'). */
const fixtureFiles: SourceInput[] = cFiles(fixtures).map((file) => ({
  path: relative(fixtures, file),
  source: readFileSync(file),
}));

describe("parseFiles", () => {
  it("finds the C fixtures it is meant to run on", () => {
    assert.ok(fixtureFiles.some((file) => file.path === "pool/managed-vectors-in-probe.c"));
    assert.ok(fixtureFiles.some((file) => file.path === "pool/legacy-msi-with-macros.c"));
  });

  it("gives the same facts, in input order, with 1, 2 and 3 jobs", async () => {
    // Each fixture several times under distinct paths, so that the workers get many batches.
    const files = Array.from({ length: 40 }, (_, copy) =>
      fixtureFiles.map((file) => ({ path: `copy${copy}/${file.path}`, source: file.source })),
    ).flat();
    assert.ok(planBatches(files, 2).length > 2, "the input should span several batches");
    const inMainThread = await parseFiles(files, 1);
    for (const jobs of [2, 3]) {
      const seen: number[] = [];
      const onWorkers = await parseFiles(files, jobs, (parsed) => seen.push(parsed));
      assert.deepEqual(onWorkers, inMainThread, `jobs=${jobs}`);
      assert.equal(seen.at(-1), files.length);
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        "the parsed count only grows",
      );
    }
    assert.deepEqual(
      inMainThread.map((result) => result.path),
      files.map((file) => file.path),
    );
    assert.equal(inMainThread.filter(isParseFailure).length, 0);
  });

  it("extracts real facts in the workers", async () => {
    const [legacy, managed] = await parseFiles(
      fixtureFiles.filter((file) => file.path.startsWith("pool/")),
      2,
    );
    assert.ok(legacy !== undefined && !isParseFailure(legacy));
    assert.ok(managed !== undefined && !isParseFailure(managed));
    assert.deepEqual(
      managed.calls.filter((call) => call.role !== undefined).map((call) => call.callee),
      ["pci_alloc_irq_vectors", "pcim_enable_device", "pci_free_irq_vectors"],
    );
    assert.deepEqual(
      managed.drivers.map((driver) => [driver.probe, driver.remove]),
      [["frob_probe", "frob_remove"]],
    );
    assert.ok(legacy.calls.some((call) => call.callee === "pci_disable_msi"));
  });

  it("decodes invalid UTF-8 with replacement characters instead of failing", async () => {
    const source = readFileSync(join(fixtures, "pool/managed-vectors-in-probe.c"));
    const comment = Buffer.from("/* caf\xe9 \xff\xfe */\n", "latin1");
    const broken = Buffer.concat([comment, source]);
    const replaced = Buffer.concat([Buffer.from("/* caf\uFFFD \uFFFD\uFFFD */\n", "utf8"), source]);
    const [fromBroken, fromReplaced] = await parseFiles(
      [
        { path: "broken.c", source: broken },
        { path: "broken.c", source: replaced },
      ],
      2,
    );
    assert.ok(fromBroken !== undefined && !isParseFailure(fromBroken));
    assert.ok(fromReplaced !== undefined && !isParseFailure(fromReplaced));
    assert.deepEqual(
      fromBroken.functions.map((fn) => fn.name),
      ["frob_setup_irqs", "frob_probe", "frob_remove"],
    );
    assert.deepEqual(
      fromBroken.calls.map((call) => [call.callee, call.line]),
      fromReplaced.calls.map((call) => [call.callee, call.line]),
    );
  });

  it("handles empty input and empty files", async () => {
    assert.deepEqual(await parseFiles([], 4), []);
    const [empty] = await parseFiles([{ path: "empty.c", source: Buffer.alloc(0) }], 2);
    assert.ok(empty !== undefined && !isParseFailure(empty));
    assert.deepEqual(empty.functions, []);
  });

  it("rejects a job count that is not a positive whole number", async () => {
    for (const jobs of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(parseFiles(fixtureFiles, jobs), /jobs must be a whole number of at least 1/);
    }
  });
});

describe("parseOne", () => {
  it("turns a parser error into a failure that names the file", () => {
    const result = parseOne("drivers/x/huge.c", Buffer.from("int x;"), () => {
      throw new ParseError("parsing took longer than 10 s");
    });
    assert.deepEqual(result, { path: "drivers/x/huge.c", error: "parsing took longer than 10 s" });
  });
});

describe("planBatches", () => {
  it("covers every file once, in order, in batches of bounded size", () => {
    const files = Array.from({ length: 500 }, (_, index) => ({
      path: `f${index}.c`,
      source: Buffer.alloc(1000 + ((index * 7919) % 40_000)),
    }));
    const batches = planBatches(files, 2);
    let next = 0;
    for (const batch of batches) {
      assert.equal(batch.first, next);
      assert.ok(batch.count >= 1);
      next += batch.count;
    }
    assert.equal(next, files.length);
    // Enough batches for both workers to stay busy until the end.
    assert.ok(batches.length >= 2 * 8, `${batches.length} batches`);
    for (const batch of batches.slice(0, -1)) {
      assert.ok(batch.bytes <= 1024 * 1024 + 41_000, `batch of ${batch.bytes} bytes`);
    }
  });

  it("puts a single huge file in a batch of its own", () => {
    const files = [
      { path: "small.c", source: Buffer.alloc(100_000) },
      { path: "huge.c", source: Buffer.alloc(5_000_000) },
      { path: "after.c", source: Buffer.alloc(10) },
    ];
    assert.deepEqual(
      planBatches(files, 2).map((batch) => batch.count),
      [1, 1, 1],
    );
  });
});

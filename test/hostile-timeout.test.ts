/**
 * The per-file parse time limit: a file tree-sitter cannot finish in time is skipped with a
 * warning naming it, and the other files' results are those of a run without it. The limit is
 * lowered through MSI_OWNERSHIP_PARSE_TIMEOUT_MS, which worker threads read when they start.
 */
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { PARSE_TIMEOUT_MICROS, PARSE_TIMEOUT_VARIABLE, parseTimeoutMicros } from "../src/parse/parser.js";
import type { Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";

const PATTERNS = new URL("fixtures/patterns/drivers/", import.meta.url).pathname;
const LIMIT_MS = 100;

/**
 * About 2.5 MB of statements C cannot tell apart without types (`a * b;` declares or multiplies,
 * `(a)(b);` casts or calls): tree-sitter keeps both readings alive. At the default limit it
 * parses in about three seconds; it cannot finish in 100 ms.
 */
function pathological(): string {
  const lines: string[] = [];
  for (let i = 0; lines.length < 120_000; i++)
    lines.push(`\tpt_t${i % 97} * pt_v${i};`, `\t(pt_t${i % 89})(pt_v${i});`);
  return [
    "#include <linux/pci.h>",
    "static int pt_probe(struct pci_dev *pdev, const struct pci_device_id *id)",
    "{",
    ...lines,
    "\treturn pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);",
    "}",
    "static void pt_remove(struct pci_dev *pdev)",
    "{",
    "\tpci_free_irq_vectors(pdev);",
    "}",
    "",
  ].join("\n");
}

describe("parse time limit", { concurrency: false }, () => {
  let scratch: string;
  let root: string;
  let clean: Report;
  let saved: string | undefined;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-timeout-"));
    root = join(scratch, "tree");
    await cp(PATTERNS, join(root, "drivers"), { recursive: true });
    saved = process.env[PARSE_TIMEOUT_VARIABLE];
    process.env[PARSE_TIMEOUT_VARIABLE] = String(LIMIT_MS);
    // jobs 2: fresh worker threads, each reading the lowered limit when its parser is made.
    clean = await analyze(await FsSource.open(root), { cache: false, jobs: 2 });
  });
  after(async () => {
    if (saved === undefined) delete process.env[PARSE_TIMEOUT_VARIABLE];
    else process.env[PARSE_TIMEOUT_VARIABLE] = saved;
    await rm(scratch, { recursive: true, force: true });
  });

  test("a file that takes too long is skipped with a warning naming it; the rest is unchanged", async () => {
    await writeFile(join(root, "drivers/misc/pathological.c"), pathological());
    const started = performance.now();
    const report = await analyze(await FsSource.open(root), { cache: false, jobs: 2 });
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual(report.warnings, [
      `drivers/misc/pathological.c: skipped: parsing took longer than the ${LIMIT_MS} ms limit`,
    ]);
    assert.deepEqual(report.drivers, clean.drivers);
    assert.equal(clean.warnings, undefined);
    assert.ok(seconds < 10, `the audit took ${seconds.toFixed(1)} s`);
  });

  test("the WebAssembly parser keeps the same limit", async () => {
    await writeFile(join(root, "drivers/misc/pathological.c"), pathological());
    const report = await analyze(await FsSource.open(root), { cache: false, jobs: 2, parser: "wasm" });
    assert.deepEqual(report.warnings, [
      `drivers/misc/pathological.c: skipped: parsing took longer than the ${LIMIT_MS} ms limit`,
    ]);
    assert.deepEqual(report.drivers, clean.drivers);
  });

  test("the variable is read as milliseconds; nonsense is refused, naming it", () => {
    assert.equal(parseTimeoutMicros({}), PARSE_TIMEOUT_MICROS);
    assert.equal(parseTimeoutMicros({ [PARSE_TIMEOUT_VARIABLE]: "" }), PARSE_TIMEOUT_MICROS);
    assert.equal(parseTimeoutMicros({ [PARSE_TIMEOUT_VARIABLE]: "250" }), 250_000);
    assert.throws(
      () => parseTimeoutMicros({ [PARSE_TIMEOUT_VARIABLE]: "soon" }),
      /MSI_OWNERSHIP_PARSE_TIMEOUT_MS=soon: not a positive number of milliseconds/,
    );
    assert.throws(
      () => parseTimeoutMicros({ [PARSE_TIMEOUT_VARIABLE]: "-5" }),
      /MSI_OWNERSHIP_PARSE_TIMEOUT_MS/,
    );
  });
});

/**
 * Hostile input files: each is analysed, or skipped with a warning that names it and says why,
 * and the rest of the run is what it is without it. The tree is the pattern fixtures plus one
 * hostile file per case, written to a temporary directory (the 50 MB file is never committed).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { analyze } from "../src/analyze.js";
import { MAX_NESTING } from "../src/parse/extract.js";
import { parseKbuild } from "../src/kbuild/makefile.js";
import { summaryMarkdown } from "../src/danger/review.js";
import { toMarkdown } from "../src/report/markdown.js";
import type { DriverReport, Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";

const PATTERNS = new URL("fixtures/patterns/drivers/", import.meta.url).pathname;
const TEMPLATE = new URL("fixtures/patterns/drivers/misc/managed-free-in-remove.c", import.meta.url).pathname;
/** The template's double release is at this line (its remove()'s pci_free_irq_vectors). */
const RELEASE_LINE = 37;

/** The template driver renamed (`frm` → prefix), so many copies can share a tree. */
async function template(prefix: string): Promise<string> {
  return (await readFile(TEMPLATE, "utf8")).replace(/frm/g, prefix);
}

interface Case {
  /** File under drivers/hostile/ (or a path under drivers/ when it has a slash). */
  file: string;
  content: () => Promise<string | Buffer>;
  /** What the run must do with it. */
  expect: { analysed: { status: string; lines?: number[] } } | { skipped: RegExp };
}

function nested(depth: number, inner: string): string {
  return `${"\tif (x) {\n".repeat(depth)}${inner}\n${"\t}\n".repeat(depth)}`;
}

/** A probe of `lines` lines, as generated register tables look. */
function longProbe(prefix: string, lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `\twritel(${i}, priv->base + ${i * 4});\n`).join("");
  return body;
}

const CASES: Case[] = [
  {
    file: "invalid-utf8.c",
    // Invalid sequences in a comment and a string (lone continuation, overlong, truncated).
    content: async () => {
      const text = await template("iu");
      const [head, ...rest] = text.split("\n");
      return Buffer.concat([
        Buffer.from(`${head} /* `),
        Buffer.from([0x80, 0xc0, 0xaf, 0xff, 0xfe, 0xe2, 0x82]),
        Buffer.from(" */\n"),
        Buffer.from(rest.join("\n").replace('"iu"', '"i\u00ffu"'), "latin1"),
      ]);
    },
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "nul-bytes.c",
    content: async () => {
      const text = await template("nb");
      return text.replace("devres frees them again.", "devres\0frees\0them").replace('"nb"', '"n\0b"');
    },
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "crlf.c",
    content: async () => (await template("cr")).replace(/\n/g, "\r\n"),
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "huge.c",
    // 50 MB of functions, with the template driver at the end so the file is worth parsing.
    content: async () => {
      const chunk = Array.from(
        { length: 1000 },
        (_, i) => `static int hg_f${i}(struct hg_priv *priv)\n{\n\treturn readl(priv->base + ${i});\n}\n\n`,
      ).join("");
      const copies = Math.ceil((50 * 1024 * 1024) / chunk.length);
      return Buffer.concat([Buffer.from(chunk.repeat(copies)), Buffer.from(await template("hg"))]);
    },
    expect: { skipped: /huge\.c: skipped: 5\d\.\d MB, larger than the 4\.0 MB parse limit/ },
  },
  {
    file: "long-function.c",
    // A 20,000-line probe between the template's lines.
    content: async () =>
      (await template("lf")).replace(
        "\tpci_set_drvdata(pdev, priv);\n",
        (line) => longProbe("lf", 20_000) + line,
      ),
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE + 20_000] } },
  },
  {
    file: "deep-nesting.c",
    content: async () =>
      (await template("dn")).replace(
        "\tpci_free_irq_vectors(pdev);\n",
        nested(5000, "\tpci_free_irq_vectors(pdev);"),
      ),
    expect: { skipped: new RegExp(`deep-nesting\\.c: skipped: nested deeper than ${MAX_NESTING} levels`) },
  },
  {
    file: "deep-but-fine.c",
    content: async () =>
      (await template("df")).replace(
        "\tpci_free_irq_vectors(pdev);\n",
        nested(200, "\tpci_free_irq_vectors(pdev);"),
      ),
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE + 200] } },
  },
  {
    file: "deep-braces.c",
    content: async () =>
      (await template("db")).replace(
        "\tpci_free_irq_vectors(pdev);\n",
        `${"{".repeat(20_000)}pci_free_irq_vectors(pdev);${"}".repeat(20_000)}\n`,
      ),
    expect: { skipped: /deep-braces\.c: skipped: nested deeper than/ },
  },
  {
    file: "unterminated-comment.c",
    content: async () => `${await template("uc")}\n/* this comment never ends\nstatic int x;\n`,
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "unterminated-string.c",
    content: async () => `${await template("us")}\nstatic const char *us_name = "never closed;\n`,
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "unterminated-string-early.c",
    // The string opens before the probe: what follows is one long error; no crash, no hang.
    content: async () =>
      (await template("ue")).replace("struct ue_priv {", 'static char *ue_s = "open\nstruct ue_priv {'),
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE + 1] } },
  },
  // Text that made regular expressions quadratic (each took 20 s to minutes before the fix).
  {
    file: "comment-starts-in-strings.c",
    content: async () =>
      `${await template("cs")}static const char *cs_table[] = {\n${'\t"/*",\n'.repeat(100_000)}};\n`,
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "unfinished-pm-ops.c",
    content: async () => `${await template("po")}${"X_PM_OPS(a, b ) ".repeat(50_000)}\n`,
    expect: { analysed: { status: "double-release", lines: [RELEASE_LINE] } },
  },
  {
    file: "lexical-soup.c",
    // No MSI name: read lexically, not parsed.
    content: async () =>
      [
        "#include <linux/pci.h>",
        "static int ls_probe(struct pci_dev *pdev)",
        "{",
        "\treturn pci_enable_device(pdev);",
        "}",
        "/* pci_enable_device(\n".repeat(100_000),
        "struct pci_driver ls_x ".repeat(50_000),
        '"\\'.repeat(100_000),
        "",
      ].join("\n"),
    expect: { analysed: { status: "no-msi" } },
  },
  {
    file: "recursion.c",
    // Self recursion, mutual recursion and a 3,000-function chain from probe to the allocation.
    content: async () => {
      const chain = Array.from(
        { length: 3000 },
        (_, i) =>
          `static int rc_step${i}(struct pci_dev *pdev, int n)\n{\n\treturn ${
            i === 2999 ? "pci_alloc_irq_vectors(pdev, 1, 4, PCI_IRQ_MSI)" : `rc_step${i + 1}(pdev, n)`
          };\n}\n`,
      ).reverse();
      return (await template("rc"))
        .replace(
          "static int rc_probe(",
          `${chain.join("")}static int rc_ping(struct pci_dev *pdev, int n);\nstatic int rc_pong(struct pci_dev *pdev, int n)\n{\n\treturn n ? rc_ping(pdev, n - 1) : rc_step0(pdev, n);\n}\nstatic int rc_ping(struct pci_dev *pdev, int n)\n{\n\treturn rc_pong(pdev, n) + rc_ping(pdev, n);\n}\nstatic int rc_probe(`,
        )
        .replace(
          "priv->nvec = pci_alloc_irq_vectors(pdev, 1, 4, PCI_IRQ_MSIX | PCI_IRQ_MSI);",
          "priv->nvec = rc_ping(pdev, 3) + rc_probe(pdev, id);",
        );
    },
    expect: { analysed: { status: "double-release" } },
  },
  { file: "with space.c", content: () => template("ws"), expect: { analysed: { status: "double-release" } } },
  { file: `quote"'.c`, content: () => template("qu"), expect: { analysed: { status: "double-release" } } },
  { file: "new\nline.c", content: () => template("nl"), expect: { analysed: { status: "double-release" } } },
  {
    file: "-leading-dash.c",
    content: () => template("ld"),
    expect: { analysed: { status: "double-release" } },
  },
  { file: "--help.c", content: () => template("hp"), expect: { analysed: { status: "double-release" } } },
  {
    file: "cr\r| injected | [x](https:evil.example) |.c",
    content: () => template("ij"),
    expect: { analysed: { status: "double-release" } },
  },
];

/** A Makefile the reader does not know half of, which also includes itself and a sibling. */
const WEIRD_MAKEFILE = [
  "# SPDX-License-Identifier: GPL-2.0",
  "include $(src)/Makefile",
  "-include $(src)/Kbuild",
  "define WEIRD_RULE",
  "obj-m += not-a-module.o",
  "endef",
  "$(foreach m,a b,$(eval $(call WEIRD_RULE,$(m))))",
  "ifeq ($(CONFIG_WEIRD),y)",
  "obj-$(CONFIG_WEIRD) += weird.o",
  "else ifneq ($(CONFIG_X),",
  "endif",
  "weird-y := weird_main.o \\",
  "\tweird_aux.o",
  "weird-$(if $(CONFIG_Y),y) += $(shell touch /tmp/msi-ownership-pwned-make).o",
  "%.o: %.c ; $(CC) -c $< && rm -rf /",
  '\t@echo "$(',
  "vpath %.c $(srctree)",
  "",
].join("\n");

function outside(drivers: readonly DriverReport[]): DriverReport[] {
  return drivers.filter(
    (driver) => !driver.unit.startsWith("drivers/hostile") && !driver.unit.startsWith("drivers/weird"),
  );
}

describe("hostile input files", { concurrency: false }, () => {
  let scratch: string;
  let clean: Report;
  let hostile: Report;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "msi-hostile-"));
    const root = join(scratch, "tree");
    await cp(PATTERNS, join(root, "drivers"), { recursive: true });
    clean = await analyze(await FsSource.open(root), { cache: false, jobs: 1 });
    await mkdir(join(root, "drivers/hostile"), { recursive: true });
    for (const item of CASES) await writeFile(join(root, "drivers/hostile", item.file), await item.content());
    await mkdir(join(root, "drivers/weird"), { recursive: true });
    await writeFile(join(root, "drivers/weird/Makefile"), WEIRD_MAKEFILE);
    await writeFile(join(root, "drivers/weird/Kbuild"), "include $(src)/Makefile\ninclude $(src)/Kbuild\n");
    await writeFile(join(root, "drivers/weird/weird_main.c"), await template("wm"));
    await writeFile(
      join(root, "drivers/weird/weird_aux.c"),
      "// SPDX-License-Identifier: GPL-2.0\n#include <linux/pci.h>\nint wm_aux(struct pci_dev *pdev)\n{\n\treturn pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);\n}\n",
    );
    const started = performance.now();
    hostile = await analyze(await FsSource.open(root), { cache: false, jobs: 1 });
    const seconds = (performance.now() - started) / 1000;
    console.log(`hostile tree analysed in ${seconds.toFixed(1)} s`);
    // Quadratic text handling would take minutes here; the whole tree takes a few seconds.
    assert.ok(seconds < 30, `the hostile tree took ${seconds.toFixed(0)} s`);
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  test("the other drivers' results are unchanged by the hostile files", () => {
    assert.ok(clean.drivers.length > 10);
    assert.deepEqual(outside(hostile.drivers), clean.drivers);
    assert.equal(clean.warnings, undefined);
  });

  for (const item of CASES) {
    test(`${JSON.stringify(item.file)}: ${Object.keys(item.expect)[0]}`, () => {
      const path = `drivers/hostile/${item.file}`;
      const unit = path.slice(0, -2);
      const drivers = hostile.drivers.filter((driver) => driver.unit === unit);
      const warnings = (hostile.warnings ?? []).filter((warning) => warning.startsWith(`${path}: `));
      const expect = item.expect;
      if ("analysed" in expect) {
        assert.deepEqual(warnings, [], `${path} was analysed with warnings`);
        assert.equal(drivers.length, 1, `${path} is not in the report`);
        const driver = drivers[0] as DriverReport;
        assert.deepEqual(driver.files, [path]);
        assert.equal(driver.status, expect.analysed.status);
        if (expect.analysed.lines !== undefined) {
          assert.deepEqual(
            driver.findings.map((finding) => finding.line),
            expect.analysed.lines,
          );
          for (const finding of driver.findings) assert.equal(finding.file, path);
        }
      } else {
        assert.equal(warnings.length, 1, `no warning names ${path}: ${JSON.stringify(hostile.warnings)}`);
        assert.match(warnings[0] as string, expect.skipped);
        assert.deepEqual(drivers, [], `${path} was skipped yet reported`);
      }
    });
  }

  test("worker threads give the same results and warnings (their stack is not the main thread's)", async () => {
    const threaded = await analyze(await FsSource.open(join(scratch, "tree")), { cache: false, jobs: 2 });
    assert.deepEqual(threaded.drivers, hostile.drivers);
    assert.deepEqual(threaded.warnings, hostile.warnings);
  });

  test("hostile names stay inside their table cell in the Markdown summary", () => {
    const markdown = toMarkdown(hostile);
    assert.ok(markdown.includes("injected"));
    // Every table row keeps its three cells (four unescaped pipes), and no name breaks a line.
    for (const line of markdown.split(/\r\n|\r|\n|\u2028|\u2029/)) {
      if (line.startsWith("|")) assert.equal(line.match(/(?<!\\)\|/g)?.length, 4, line);
      else assert.doesNotMatch(line, /injected|^line\.c/, line);
    }
  });

  test("...and in the Danger plugin's comment", () => {
    const hostileDrivers = hostile.drivers.filter((driver) => driver.unit.startsWith("drivers/hostile/"));
    const markdown = summaryMarkdown(hostileDrivers, () => undefined, undefined) ?? "";
    assert.ok(markdown.includes("injected"));
    for (const line of markdown.split(/\r\n|\r|\n|\u2028|\u2029/)) {
      if (line.includes("injected")) assert.match(line, /^\s*- /, `a name broke its list item: ${line}`);
      assert.doesNotMatch(line, /^line\b/, line);
    }
  });

  test("a Makefile in syntax the reader does not know still groups its module; includes are not followed", () => {
    const weird = hostile.drivers.filter((driver) => driver.unit.startsWith("drivers/weird"));
    assert.deepEqual(
      weird.map((driver) => [driver.unit, driver.files]),
      [["drivers/weird", ["drivers/weird/weird_aux.c", "drivers/weird/weird_main.c"]]],
    );
    assert.equal(weird[0]?.status, "double-release");
    // The reader is a pure function of one file's text: nothing to follow, nothing run. (The
    // define body reads as an assignment: a module with no sources present, so no unit.)
    const weirdModule = parseKbuild("drivers/weird", WEIRD_MAKEFILE).find(
      (module) => module.name === "weird",
    );
    assert.deepEqual(weirdModule?.sources, ["drivers/weird/weird_aux.c", "drivers/weird/weird_main.c"]);
    assert.equal(existsSync("/tmp/msi-ownership-pwned-make"), false);
  });
});

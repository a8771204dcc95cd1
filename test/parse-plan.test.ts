/**
 * The prefilter's parse plan (src/scan/lexical.ts, moduleParsePlan): which files of a module are
 * parsed, which bodies are blanked, and that blanking changes no offset and no catalog fact.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FileFacts } from "../src/parse/facts.js";
import { readyParser } from "../src/parse/backend.js";
import { parseFacts } from "../src/parse/parser.js";
import {
  compactSource,
  lexicalSummary,
  moduleParsePlan,
  originalOffset,
  remapOffsets,
  type ModuleFile,
  type ParseInput,
} from "../src/scan/lexical.js";

// parseFacts() runs in this thread: load the parser first (MSI_OWNERSHIP_PARSER chooses).
await readyParser();

const MAIN = `// SPDX-License-Identifier: GPL-2.0
/*
 * A driver whose probe reaches the allocator through a helper in another file.
 * Authored by Zoë Example, with a name outside ASCII on purpose.
 */
#include <linux/pci.h>

static const u32 skel_registers[] = {
	0x0010, 0x0014, 0x0018,
	0x001c, 0x0020, 0x0024,
};

static int skel_unrelated(int value)
{
	/* café: nothing here reaches the catalog */
	return value * 2;
}

static int skel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	return skel_setup_irqs(pdev);
}

static void skel_remove(struct pci_dev *pdev)
{
	skel_teardown_irqs(pdev);
}

static struct pci_driver skel_driver = {
	.name = "skel",
	.probe = skel_probe,
	.remove = skel_remove,
};
module_pci_driver(skel_driver);
`;

const IRQ = `// SPDX-License-Identifier: GPL-2.0
#include <linux/pci.h>

static int skel_count(struct pci_dev *pdev)
{
	return 4;
}

int skel_setup_irqs(struct pci_dev *pdev)
{
	return pci_alloc_irq_vectors(pdev, 1, skel_count(pdev), PCI_IRQ_MSIX);
}

void skel_teardown_irqs(struct pci_dev *pdev)
{
	pci_free_irq_vectors(pdev);
}
`;

const UNRELATED = `// SPDX-License-Identifier: GPL-2.0
int skel_debugfs_show(int value)
{
	return value + 1;
}
`;

function planned(files: ModuleFile[]): Map<string, ParseInput> {
  const inputs = moduleParsePlan(files);
  assert.ok(inputs !== undefined, "the module's braces balance");
  return new Map(inputs.map((input) => [input.path, input]));
}

function plan(files: ModuleFile[]): Map<string, string> {
  return new Map([...planned(files)].map(([path, input]) => [path, input.source.toString("utf8")]));
}

const MODULE: ModuleFile[] = [
  { path: "skel_main.c", data: Buffer.from(MAIN), seed: true },
  { path: "skel_irq.c", data: Buffer.from(IRQ), seed: true },
  { path: "skel_debugfs.c", data: Buffer.from(UNRELATED), seed: false },
];

describe("moduleParsePlan", () => {
  it("parses the seeds and leaves out a file with nothing that reaches the catalog", () => {
    assert.deepEqual([...plan(MODULE).keys()], ["skel_main.c", "skel_irq.c"]);
  });

  it("parses a file that is no seed when one of its functions reaches the catalog", () => {
    // Through the seed's skel_setup_irqs(), and through skel_reset() from one more file.
    const reset = `int skel_reset(struct pci_dev *pdev)
{
	skel_teardown_irqs(pdev);
	return skel_setup_irqs(pdev);
}
`;
    const watchdog = `void skel_watchdog(struct pci_dev *pdev)
{
	if (skel_reset(pdev))
		skel_log("reset failed");
}
`;
    const planned = plan([
      ...MODULE,
      { path: "skel_reset.c", data: Buffer.from(reset), seed: false },
      { path: "skel_watchdog.c", data: Buffer.from(watchdog), seed: false },
    ]);
    assert.deepEqual([...planned.keys()], ["skel_main.c", "skel_irq.c", "skel_reset.c", "skel_watchdog.c"]);
    assert.match(planned.get("skel_watchdog.c") as string, /skel_reset\(pdev\)/);
  });

  it("blanks the bodies that cannot reach the catalog, and the facts' positions come back whole", () => {
    const input = planned(MODULE).get("skel_main.c") as ParseInput;
    const main = input.source.toString("utf8");
    assert.ok(main.length < MAIN.length);
    assert.equal(main.split("\n").length, MAIN.split("\n").length, "every line stays, emptied or not");
    assert.doesNotMatch(main, /value \* 2/);
    assert.doesNotMatch(main, /0x0010/);
    assert.match(main, /ret = pcim_enable_device\(pdev\);/);
    assert.match(main, /skel_teardown_irqs\(pdev\);/);
    assert.match(main, /\.probe = skel_probe,/);
    // What tree-sitter sees of the module's catalog calls and the functions that lead to them is
    // unchanged; a function that reaches nothing is gone, header and all.
    const whole = parseFacts("skel_main.c", MAIN);
    const blanked = remapOffsets(parseFacts("skel_main.c", main), input.shifts ?? []);
    assert.doesNotMatch(main, /skel_unrelated/);
    assert.doesNotMatch(main, /#include/);
    assert.deepEqual(blanked.drivers, whole.drivers);
    const catalogCalls = (facts: FileFacts): unknown[] =>
      facts.calls
        .filter((call) => call.role !== undefined)
        .map(({ fn, ...call }) => ({ ...call, in: facts.functions[fn]?.name }));
    assert.deepEqual(catalogCalls(blanked), catalogCalls(whole));
    assert.deepEqual(
      blanked.functions.map((fn) => [fn.name, fn.line, fn.endLine]),
      whole.functions
        .filter((fn) => fn.name !== "skel_unrelated")
        .map((fn) => [fn.name, fn.line, fn.endLine]),
    );
  });

  it("keeps the callers of the catalog in every file, and blanks a callee that reaches nothing", () => {
    const irq = plan(MODULE).get("skel_irq.c") as string;
    assert.match(irq, /return pci_alloc_irq_vectors\(pdev, 1, skel_count\(pdev\), PCI_IRQ_MSIX\);/);
    assert.match(irq, /pci_free_irq_vectors\(pdev\);/);
    assert.doesNotMatch(irq, /return 4;/);
  });

  it("does not blank a body that a conditional opened outside it switches branch in", () => {
    const text = `#ifdef CONFIG_SKEL_NEW
static int skel_helper(int a)
{
	a += 1;
#else
static int skel_helper(void)
{
	int a = 0;
#endif
	return a;
}

static int skel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return pci_enable_msi(pdev);
}
`;
    const planned = plan([{ path: "skel.c", data: Buffer.from(text), seed: true }]).get("skel.c") as string;
    assert.equal(planned, text);
  });

  it("gives up on a file whose braces do not balance: the caller parses the module whole", () => {
    const text = `static int skel_probe(struct pci_dev *pdev)
{
	return pci_enable_msi(pdev);
`;
    assert.equal(moduleParsePlan([{ path: "skel.c", data: Buffer.from(text), seed: true }]), undefined);
  });

  it("counts no brace in comments, strings, character literals or #if 0", () => {
    const text = `static const char *skel_name = "{";
/* } */
#if 0
}
#endif
static int skel_unused(void)
{
	char c = '}';
	return c;
}

static int skel_probe(struct pci_dev *pdev)
{
	return pci_enable_msi(pdev);
}
`;
    const planned = plan([{ path: "skel.c", data: Buffer.from(text), seed: true }]).get("skel.c") as string;
    assert.doesNotMatch(planned, /char c/);
    assert.match(planned, /return pci_enable_msi\(pdev\);/);
  });

  it("takes a function out with its header, but not the preprocessor lines around or inside it", () => {
    const text = `static int skel_ready;

#ifdef CONFIG_PM
static int skel_suspend(struct device *dev)
{
	skel_ready = 0;
	return 0;
}
#endif

static int
#ifdef CONFIG_SKEL_WIDE
skel_wide(void)
#else
skel_narrow(void)
#endif
{
	return 8;
}

static int skel_probe(struct pci_dev *pdev)
{
	return pci_enable_msi(pdev);
}
`;
    const planned = plan([{ path: "skel.c", data: Buffer.from(text), seed: true }]).get("skel.c") as string;
    assert.doesNotMatch(planned, /skel_suspend|return 0;/);
    assert.match(planned, /^#ifdef CONFIG_PM$/m);
    assert.match(planned, /^#endif$/m);
    // The header a conditional runs through stays, and only the body goes.
    assert.match(planned, /skel_wide\(void\)/);
    assert.doesNotMatch(planned, /return 8;/);
    assert.equal(parseFacts("skel.c", planned).parseErrors, parseFacts("skel.c", text).parseErrors);
  });

  it("leaves out includes and macro definitions, but not one the parse reads PM ops from", () => {
    const text = `#include <linux/pci.h>
#define SKEL_VECTORS \\
	8
#define SKEL_PM(name) static SIMPLE_DEV_PM_OPS(name, skel_suspend, skel_resume);
#ifdef CONFIG_PM
SKEL_PM(skel_pm_ops)
#endif

static int skel_probe(struct pci_dev *pdev)
{
	return pci_alloc_irq_vectors(pdev, 1, SKEL_VECTORS, PCI_IRQ_MSI);
}
`;
    const planned = plan([{ path: "skel.c", data: Buffer.from(text), seed: true }]).get("skel.c") as string;
    assert.doesNotMatch(planned, /#include|#define SKEL_VECTORS|^\t8$/m);
    assert.match(planned, /^#define SKEL_PM\(name\)/m);
    assert.match(planned, /^#ifdef CONFIG_PM$/m);
    assert.equal(planned.split("\n").length, text.split("\n").length);
  });

  it("ends a macro whose last line has a backslash at the empty line after it", () => {
    // The backslash joins the empty line, not the initialiser below: its braces count.
    const text = `#define SKEL_COMMON \\
	.max_vectors = 8, \\

static const struct skel_cfg skel_cfg_a = {
	SKEL_COMMON
};

static int skel_unused(void)
{
	return 7;
}

static int skel_probe(struct pci_dev *pdev)
{
	return pci_enable_msi(pdev);
}
`;
    const planned = plan([{ path: "skel.c", data: Buffer.from(text), seed: true }]).get("skel.c") as string;
    assert.doesNotMatch(planned, /return 7;/);
    assert.match(planned, /return pci_enable_msi\(pdev\);/);
  });
});

describe("compactSource", () => {
  it("empties the lines inside a region and turns parts of lines into spaces", () => {
    const text = "keep é\nblank ü 🎉\nkeep /* part */ kept\n";
    const whole = { start: text.indexOf("blank"), end: text.indexOf("\nkeep /*") };
    const part = { start: text.indexOf("/*"), end: text.indexOf(" kept") };
    const { source, shifts } = compactSource(text, [whole, part]);
    assert.equal(source.toString("utf8"), `keep é\n\nkeep ${" ".repeat("/* part */".length)} kept\n`);
    // The emptied line's break is at 7 in the compacted text, at 7 + 10 UTF-16 units in the text.
    assert.deepEqual(shifts, [7, "blank ü 🎉".length]);
    assert.equal(originalOffset(shifts, 6), 6);
    assert.equal(originalOffset(shifts, 7), 17);
    assert.equal(originalOffset(shifts, 8), text.indexOf("keep /*"));
  });
});

describe("lexicalSummary", () => {
  it("counts a catalog call in a function, not one in a comment, a string, #if 0 or file scope", () => {
    const quiet = `/* pci_enable_device(pdev); */
static const char *skel_help = "pci_enable_device(pdev)";
SKEL_FILE_SCOPE(pci_enable_device(NULL));

static int skel_probe(struct pci_dev *pdev)
{
	// pci_enable_device(pdev);
#if 0
	pci_enable_device(pdev);
#endif
	return 0;
}
`;
    assert.equal(lexicalSummary([quiet]).callsCatalog, false);
    const loud = quiet.replace("return 0;", "return pci_enable_device(pdev);");
    assert.equal(lexicalSummary([loud]).callsCatalog, true);
  });

  it("reads the pci_driver variables at file scope, in the first branch of a conditional", () => {
    const text = `static struct pci_driver skel_driver __refdata = {
	.name = "skel",
};
#ifdef CONFIG_SKEL_ALT
static struct pci_driver skel_alt_driver = {
#else
static struct pci_driver skel_other_driver = {
#endif
	.name = "skel-alt",
};

static int skel_init(void)
{
	static struct pci_driver skel_local = { .name = "local" };
	return pci_register_driver(&skel_driver);
}
`;
    assert.deepEqual(lexicalSummary([text]).drivers, ["skel_driver", "skel_alt_driver"]);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseMaintainers, sectionsFor, subsystemOf } from "../src/report/maintainers.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const fixture = parseMaintainers(
  readFileSync(new URL("./fixtures/maintainers/MAINTAINERS", import.meta.url), "utf8"),
);

function names(path: string, options?: Parameters<typeof sectionsFor>[2]): string[] {
  return sectionsFor(fixture, path, options).map((match) => match.section.name);
}

describe("parseMaintainers", () => {
  it("reads sections, skipping the preamble and comments inside a section", () => {
    assert.deepEqual(
      fixture.sections.map((section) => section.name),
      [
        "ACME PCI DRIVERS",
        "ACME LEGACY DRIVER",
        "ACME WIDGET HEADERS",
        "FOO DRIVERS BY NAME",
        "NETWORKING DRIVERS",
        "THE REST",
      ],
    );
    const acme = fixture.sections[0]!;
    assert.deepEqual(acme.maintainers, ["Ada Lovelace <ada@example.org>"]);
    assert.deepEqual(acme.reviewers, ["Bob Reviewer <bob@example.org>"]);
    assert.deepEqual(acme.lists, ["acme-devel@example.org (moderated for non-subscribers)"]);
    assert.equal(acme.status, "Supported");
    assert.equal(acme.line, 13);
    assert.deepEqual(
      acme.entries.filter((entry) => entry.type === "X").map((entry) => entry.value),
      ["drivers/net/ethernet/acme/legacy/"],
    );
    assert.deepEqual(fixture.warnings, []);
  });

  it("reports a pattern that does not compile, naming the section", () => {
    const parsed = parseMaintainers("BROKEN\nM:\tx <x@y>\nN:\tfoo(\n");
    assert.equal(parsed.warnings.length, 1);
    assert.match(parsed.warnings[0]!, /MAINTAINERS:3: BROKEN: bad N: pattern 'foo\('/);
  });
});

describe("sectionsFor (get_maintainer.pl's rules)", () => {
  it("ranks a trailing-slash directory pattern by its depth, then the parents", () => {
    assert.deepEqual(names("drivers/net/ethernet/acme/acme_main.c"), [
      "ACME PCI DRIVERS",
      "NETWORKING DRIVERS",
      "THE REST",
    ]);
    const [acme, net, rest] = sectionsFor(fixture, "drivers/net/ethernet/acme/acme_main.c");
    assert.deepEqual([acme!.depth, net!.depth, rest!.depth], [4, 2, -1]);
  });

  it("X: removes a section; a directory named without its slash matches recursively", () => {
    assert.deepEqual(names("drivers/net/ethernet/acme/legacy/old/old_main.c"), [
      "ACME LEGACY DRIVER",
      "NETWORKING DRIVERS",
      "THE REST",
    ]);
  });

  it("a glob without a trailing slash matches files at that depth only", () => {
    assert.deepEqual(names("drivers/net/ethernet/acme/acme_hw.h"), [
      "ACME WIDGET HEADERS",
      "ACME PCI DRIVERS",
      "NETWORKING DRIVERS",
      "THE REST",
    ]);
    assert.ok(!names("drivers/net/ethernet/acme/sub/acme_hw.h").includes("ACME WIDGET HEADERS"));
    // `?` is one character, `.` is literal.
    assert.ok(names("include/linux/acme_ab.h").includes("ACME WIDGET HEADERS"));
    assert.ok(!names("include/linux/acme_abc.h").includes("ACME WIDGET HEADERS"));
    assert.ok(!names("include/linux/acme_abxh").includes("ACME WIDGET HEADERS"));
  });

  it("a directory pattern does not match a sibling whose name extends it", () => {
    assert.ok(!names("drivers/net/ethernet/acme2/main.c").includes("ACME PCI DRIVERS"));
    // Without knowing the tree, `legacy` could be a file prefix; with the tree it is a directory.
    const isDirectory = (path: string): boolean => path === "drivers/net/ethernet/acme/legacy";
    assert.ok(!names("drivers/net/ethernet/acme/legacyx.c", { isDirectory }).includes("ACME LEGACY DRIVER"));
  });

  it("N: is a regex anywhere in the path, ranked below any F: directory", () => {
    assert.deepEqual(names("drivers/net/wireless/foo7/main.c"), ["FOO DRIVERS BY NAME", "THE REST"]);
    assert.deepEqual(names("drivers/misc/foo.c"), ["THE REST"]);
  });

  it("THE REST covers top-level files and everything else", () => {
    assert.deepEqual(names("README"), ["THE REST"]);
    assert.equal(subsystemOf(fixture, ["drivers/misc/bar.c"])?.name, "THE REST");
    assert.equal(
      subsystemOf(fixture, ["drivers/net/ethernet/acme/acme_main.c", "drivers/misc/bar.c"])?.name,
      "ACME PCI DRIVERS",
    );
  });
});

const tree = KERNEL_TREE;
describeKernelTree("the real MAINTAINERS file", () => {
  const root = tree ?? "";
  const real = tree
    ? parseMaintainers(readFileSync(join(root, "MAINTAINERS"), "utf8"))
    : { sections: [], warnings: [] };
  const expected: Record<string, string[]> = {
    "drivers/net/ethernet/intel/ice/ice_main.c": ["INTEL ETHERNET DRIVERS", "NETWORKING DRIVERS", "THE REST"],
    "drivers/cxl/pci.c": ["COMPUTE EXPRESS LINK (CXL)", "THE REST"],
    "drivers/bus/mhi/host/pci_generic.c": ["MHI BUS", "THE REST"],
    "drivers/media/pci/intel/ipu6/ipu6.c": [
      "INTEL IPU6 INPUT SYSTEM DRIVER",
      "MEDIA INPUT INFRASTRUCTURE (V4L/DVB)",
      "THE REST",
    ],
    "drivers/nvme/host/pci.c": ["NVM EXPRESS DRIVER", "THE REST"],
  };

  it("parses every section and compiles every pattern", () => {
    assert.ok(real.sections.length > 2000, `only ${real.sections.length} sections`);
    assert.deepEqual(real.warnings, []);
  });

  for (const [file, sections] of Object.entries(expected)) {
    it(`${file} → ${sections[0]}`, () => {
      assert.deepEqual(
        sectionsFor(real, file).map((match) => match.section.name),
        sections,
      );
    });
  }

  it("cxl's maintainers and list come from its section", () => {
    const cxl = subsystemOf(real, ["drivers/cxl/pci.c"])!;
    assert.ok(cxl.maintainers.some((m) => m.includes("Dan Williams")));
    assert.deepEqual(cxl.lists, ["linux-cxl@vger.kernel.org"]);
  });

  // The oracle: the kernel's own script, when perl is there, on more drivers than listed above.
  const perl = tree && existsSync(join(root, "scripts/get_maintainer.pl")) && hasPerl();
  it(
    "agrees with scripts/get_maintainer.pl --subsystem",
    { skip: perl ? false : "perl or scripts/get_maintainer.pl missing: skipping the oracle" },
    () => {
      const files = [
        ...Object.keys(expected),
        "drivers/scsi/megaraid/megaraid_sas_base.c",
        "drivers/gpu/drm/amd/amdgpu/amdgpu_irq.c",
        "drivers/net/wireless/ath/ath11k/pci.c",
        "drivers/crypto/ccp/sp-pci.c",
        "drivers/pci/msi/api.c",
        "drivers/net/ethernet/broadcom/bnxt/bnxt.c",
      ];
      for (const file of files) {
        const output = execFileSync(
          "perl",
          [
            "scripts/get_maintainer.pl",
            "--no-git",
            "--no-git-fallback",
            "--no-tree",
            "--no-email",
            "--no-l",
            "--subsystem",
            "-f",
            file,
          ],
          { cwd: root, encoding: "utf8" },
        );
        const theirs = output.split("\n").filter((line) => line !== "");
        const ours = sectionsFor(real, file).map((match) => match.section.name);
        // Ties are in Perl's hash order: compare as sets, and the most specific when it is unique.
        assert.deepEqual([...ours].sort(), [...theirs].sort(), file);
        const matches = sectionsFor(real, file);
        if (matches.length < 2 || matches[0]!.depth > matches[1]!.depth)
          assert.equal(ours[0], theirs[0], file);
      }
    },
  );
});

function hasPerl(): boolean {
  try {
    execFileSync("perl", ["-e", "1"]);
    return true;
  } catch {
    return false;
  }
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseKbuild, unitName } from "../src/kbuild/makefile.js";
import { groupUnits } from "../src/scan/audit.js";

describe("Kbuild modules", () => {
  it("reads obj-$(CONFIG_..), x-y, x-objs, x-$(CONFIG_..) with continuations and comments", () => {
    const modules = parseKbuild(
      "drivers/net/foo",
      [
        "# SPDX-License-Identifier: GPL-2.0",
        "subdir-ccflags-y += -I$(src)",
        "obj-$(CONFIG_FOO) += foo.o",
        "obj-m += bar.o  # a single-file module",
        "obj-y += sub/",
        "foo-y := foo_main.o \\",
        "\t foo_irq.o",
        "foo-$(CONFIG_FOO_DEBUG) += debug/foo_debugfs.o",
        "ifeq ($(CONFIG_X),y)",
        "baz-objs := baz_a.o baz_b.o",
        "endif",
        "obj-$(CONFIG_BAZ) += baz.o",
        "CFLAGS_foo_main.o := -DDEBUG",
      ].join("\n"),
    );
    assert.deepEqual(
      modules.map((module) => [module.name, module.sources]),
      [
        ["bar", ["drivers/net/foo/bar.c"]],
        ["baz", ["drivers/net/foo/baz_a.c", "drivers/net/foo/baz_b.c"]],
        [
          "foo",
          ["drivers/net/foo/debug/foo_debugfs.c", "drivers/net/foo/foo_irq.c", "drivers/net/foo/foo_main.c"],
        ],
      ],
    );
    assert.equal(unitName(modules[2]!), "drivers/net/foo");
    assert.equal(unitName(modules[0]!), "drivers/net/foo/bar");
  });

  it("makes a unit of each file no Makefile names", () => {
    const units = groupUnits(
      ["drivers/a/a_main.c", "drivers/a/a_irq.c", "drivers/a/orphan.c"],
      parseKbuild("drivers/a", "obj-m += a.o\na-y := a_main.o a_irq.o missing.o\n"),
    );
    assert.deepEqual(units, [
      { unit: "drivers/a", module: "a", sources: ["drivers/a/a_irq.c", "drivers/a/a_main.c"] },
      { unit: "drivers/a/orphan", module: "orphan", sources: ["drivers/a/orphan.c"] },
    ]);
  });
});

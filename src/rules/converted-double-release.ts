import type { Rule } from "./rule.js";

export const convertedDoubleRelease: Rule = {
  id: "msi-converted-double-release",
  severity: "error",
  status: "converted-double-release",
  title: "Vectors from pcim_alloc_irq_vectors() are also released explicitly",
  rationale:
    "pcim_alloc_irq_vectors() hands the vectors to devres, which releases them when the driver " +
    "detaches. An explicit release on a teardown path releases them first; devres' release is " +
    "then a no-op. The explicit release is redundant, and it contradicts the " +
    "ownership the managed allocator states.",
  example: [
    "\tret = pcim_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);",
    "\t...",
    "static void foo_remove(struct pci_dev *pdev)",
    "{",
    "\tpci_free_irq_vectors(pdev);\t/* redundant: devres owns the vectors */",
    "}",
  ].join("\n"),
  fix: "Delete the explicit release: devres owns the vectors. No behaviour changes.",
};

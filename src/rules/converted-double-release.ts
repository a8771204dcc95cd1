import type { Rule } from "./rule.js";

export const convertedDoubleRelease: Rule = {
  id: "msi-converted-double-release",
  severity: "error",
  status: "converted-double-release",
  title: "Vectors from pcim_alloc_irq_vectors() are also released explicitly",
  rationale:
    "pcim_alloc_irq_vectors() hands the vectors to devres, which frees them when the driver " +
    "detaches. The explicit release on this teardown path frees them a first time; devres " +
    "frees them again.",
  example: [
    "\tret = pcim_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);",
    "\t...",
    "static void foo_remove(struct pci_dev *pdev)",
    "{",
    "\tpci_free_irq_vectors(pdev);\t/* devres frees them again */",
    "}",
  ].join("\n"),
  fix: "Drop the explicit release: devres owns the vectors.",
};

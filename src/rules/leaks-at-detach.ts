import type { Rule } from "./rule.js";

export const leaksAtDetach: Rule = {
  id: "msi-leaks-at-detach",
  severity: "error",
  status: "leaks-at-detach",
  title: "MSI vectors of a managed device are never released at detach (hybrid cleanup removed)",
  rationale:
    "In this tree the PCI/MSI core no longer registers a devres release when " +
    "pci_alloc_irq_vectors() or a pci_enable_msi*() allocator runs on a device enabled with " +
    "pcim_enable_device() (era 3: the hybrid pattern is removed from pcim_setup_msi_release()). " +
    "The driver releases nothing on remove or on its probe error paths, so the vectors stay " +
    "allocated after detach, and the next bind fails: msi.c warns (WARN_ON) and returns " +
    "-EINVAL because MSI is already enabled.",
  example: [
    "static int foo_probe(struct pci_dev *pdev, const struct pci_device_id *id)",
    "{",
    "\tret = pcim_enable_device(pdev);",
    "\t...",
    "\tret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);\t/* never released */",
    "}",
  ].join("\n"),
  fix:
    "Allocate with pcim_alloc_irq_vectors() (same arguments) where the tree has it, so devres " +
    "releases the vectors at detach; otherwise release them yourself with " +
    "pci_free_irq_vectors() in remove() and on every probe error path after the allocation.",
};

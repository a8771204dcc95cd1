import type { Rule } from "./rule.js";

export const doubleRelease: Rule = {
  id: "msi-double-release",
  severity: "error",
  status: "double-release",
  title: "MSI vectors of a managed device are released twice",
  rationale:
    "The device is enabled with pcim_enable_device(), so pci_alloc_irq_vectors() (and the " +
    "older pci_enable_msi*() allocators) registered a devres action that frees the vectors " +
    "when the driver detaches: after remove(), or when probe() fails. The explicit release on " +
    "this teardown path frees them a first time; devres frees them again.",
  example: [
    "static int foo_probe(struct pci_dev *pdev, const struct pci_device_id *id)",
    "{",
    "\tret = pcim_enable_device(pdev);",
    "\t...",
    "\tret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);",
    "\t...",
    "}",
    "",
    "static void foo_remove(struct pci_dev *pdev)",
    "{",
    "\tpci_free_irq_vectors(pdev);\t/* devres frees them again */",
    "}",
  ].join("\n"),
  fix:
    "Drop the explicit release on the teardown path and allocate with " +
    "pcim_alloc_irq_vectors() where the tree has it, so the ownership is explicit; or enable " +
    "the device with pci_enable_device() if the driver wants to manage the vectors itself.",
};

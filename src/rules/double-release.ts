import type { Rule } from "./rule.js";

export const doubleRelease: Rule = {
  id: "msi-double-release",
  severity: "error",
  status: "double-release",
  title: "MSI vectors of a managed device are released twice",
  rationale:
    "The device is enabled with pcim_enable_device(), so pci_alloc_irq_vectors() (and the " +
    "older pci_enable_msi*() allocators) registered a devres action that releases the vectors " +
    "when the driver detaches: after remove(), or when probe() fails. An explicit release on " +
    "one of those teardown paths releases them first, and devres releases them again. Today " +
    "that second release is a no-op (pci_disable_msi() and pci_disable_msix() return at once " +
    "when MSI is off): the explicit release is redundant, and it leaves the " +
    "ownership of the vectors ambiguous, which the upstream series removes. A release that " +
    "also runs where devres does not follow (shutdown, suspend, a reset or a fallback that " +
    "allocates again) is needed there: the finding then proposes no deletion.",
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
    "\tpci_free_irq_vectors(pdev);\t/* redundant: devres releases them at detach */",
    "}",
  ].join("\n"),
  fix:
    "Delete the explicit release on the teardown path (no behaviour changes: the second release " +
    "is a no-op today), and allocate with pcim_alloc_irq_vectors() where the tree has it, so the " +
    "ownership is explicit; or enable the device with pci_enable_device() if the driver wants to " +
    "manage the vectors itself. Where the same line also serves a path devres does not follow, " +
    "stop calling it from the teardown path instead.",
};

import type { Rule } from "./rule.js";

export const implicitManaged: Rule = {
  id: "msi-implicit-managed",
  severity: "warning",
  status: "implicit-managed",
  title: "MSI vectors rely on the hidden devres cleanup of pcim_enable_device()",
  rationale:
    "The device is enabled with pcim_enable_device() and its vectors come from a hybrid " +
    "allocator (pci_alloc_irq_vectors(), pci_enable_msi*()), which is devres-managed only " +
    "because the device is. Nothing in the driver releases them: it relies on that hidden " +
    "behaviour, which upstream is removing in favour of pcim_alloc_irq_vectors(). Once it is " +
    "gone, the vectors are not released at unbind, and the next bind fails to enable MSI.",
  example: [
    "static int foo_probe(struct pci_dev *pdev, const struct pci_device_id *id)",
    "{",
    "\tret = pcim_enable_device(pdev);",
    "\t...",
    "\tret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);\t/* freed by devres, silently */",
    "}",
  ].join("\n"),
  fix:
    "Allocate with pcim_alloc_irq_vectors() (pci_alloc_irq_vectors() keeps its arguments; " +
    "pci_enable_msi(pdev) becomes pcim_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI), and the " +
    "pci_enable_msix_*() forms also lose their entries array), which says that devres owns " +
    "the vectors; on trees that do not have it yet, nothing is wrong today, but the driver " +
    "must be converted before the hybrid behaviour is removed.",
};

/**
 * The kernel APIs that decide who owns MSI/MSI-X vectors (KERNEL.md, "API roles"), as data.
 * Adding an API is one line here; everything else reads this table.
 */
export type Role = "managed-enable" | "unmanaged-enable" | "hybrid-alloc" | "managed-alloc" | "release";

export interface CatalogEntry {
  readonly role: Role;
  /** Zero-based index of the `struct pci_dev *` argument. */
  readonly deviceArg: number;
  /** Zero-based index of the PCI_IRQ_* flags argument, for allocators that take one. */
  readonly flagsArg?: number;
  /** The name exists only in older trees. */
  readonly legacy?: boolean;
}

export const CATALOG: Readonly<Record<string, CatalogEntry>> = {
  pcim_enable_device: { role: "managed-enable", deviceArg: 0 },

  pci_enable_device: { role: "unmanaged-enable", deviceArg: 0 },
  pci_enable_device_mem: { role: "unmanaged-enable", deviceArg: 0 },
  pci_enable_device_io: { role: "unmanaged-enable", deviceArg: 0 },

  pci_alloc_irq_vectors: { role: "hybrid-alloc", deviceArg: 0, flagsArg: 3 },
  pci_alloc_irq_vectors_affinity: { role: "hybrid-alloc", deviceArg: 0, flagsArg: 3 },
  pci_enable_msi: { role: "hybrid-alloc", deviceArg: 0 },
  pci_enable_msix_range: { role: "hybrid-alloc", deviceArg: 0 },
  pci_enable_msix_exact: { role: "hybrid-alloc", deviceArg: 0 },
  pci_enable_msi_range: { role: "hybrid-alloc", deviceArg: 0, legacy: true },
  pci_enable_msi_exact: { role: "hybrid-alloc", deviceArg: 0, legacy: true },
  pci_enable_msix: { role: "hybrid-alloc", deviceArg: 0, legacy: true },
  pci_enable_msi_block: { role: "hybrid-alloc", deviceArg: 0, legacy: true },

  pcim_alloc_irq_vectors: { role: "managed-alloc", deviceArg: 0, flagsArg: 3 },
  pcim_alloc_irq_vectors_affinity: { role: "managed-alloc", deviceArg: 0, flagsArg: 3 },

  pci_free_irq_vectors: { role: "release", deviceArg: 0 },
  pci_disable_msi: { role: "release", deviceArg: 0 },
  pci_disable_msix: { role: "release", deviceArg: 0 },
};

/** Flags that make pci_alloc_irq_vectors*() allocate MSI or MSI-X (drivers/pci/msi/api.c). */
export const MSI_FLAGS: readonly string[] = ["PCI_IRQ_MSI", "PCI_IRQ_MSIX", "PCI_IRQ_ALL_TYPES"];

/** Calls that hand back a reference to another PCI device than the one being probed. */
export const OTHER_DEVICE_LOOKUPS: readonly string[] = [
  "pci_get_device",
  "pci_get_subsys",
  "pci_get_slot",
  "pci_get_domain_bus_and_slot",
  "pci_get_class",
  "pci_get_base_class",
  "pci_physfn",
];

/** Calls that register a function to run at driver detach. The callback is argument 1. */
export const DEVM_ACTION_REGISTRARS: readonly string[] = ["devm_add_action", "devm_add_action_or_reset"];

/** Registration macros whose argument names a `struct pci_driver`. */
export const PCI_DRIVER_REGISTRARS: readonly string[] = [
  "module_pci_driver",
  "builtin_pci_driver",
  "module_pci_driver_init",
  "pci_register_driver",
  "__pci_register_driver",
];

export function catalogEntry(name: string): CatalogEntry | undefined {
  return Object.hasOwn(CATALOG, name) ? CATALOG[name] : undefined;
}

/** Every catalog name: the prefilter's needles. */
export const CATALOG_NAMES: readonly string[] = Object.keys(CATALOG);

/** Names that allocate or release MSI vectors: a module without them can only be no-msi. */
export const MSI_NAMES: readonly string[] = CATALOG_NAMES.filter((name) => {
  const role = CATALOG[name]?.role;
  return role === "hybrid-alloc" || role === "managed-alloc" || role === "release";
});

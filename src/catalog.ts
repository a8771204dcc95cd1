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
  /** What it allocates or releases, when the name says (the flags say for the others). */
  readonly kinds?: readonly MsiKind[];
}

export type MsiKind = "msi" | "msix";

export const CATALOG: Readonly<Record<string, CatalogEntry>> = {
  pcim_enable_device: { role: "managed-enable", deviceArg: 0 },

  pci_enable_device: { role: "unmanaged-enable", deviceArg: 0 },
  pci_enable_device_mem: { role: "unmanaged-enable", deviceArg: 0 },
  pci_enable_device_io: { role: "unmanaged-enable", deviceArg: 0 },

  pci_alloc_irq_vectors: { role: "hybrid-alloc", deviceArg: 0, flagsArg: 3 },
  pci_alloc_irq_vectors_affinity: { role: "hybrid-alloc", deviceArg: 0, flagsArg: 3 },
  pci_enable_msi: { role: "hybrid-alloc", deviceArg: 0, kinds: ["msi"] },
  pci_enable_msix_range: { role: "hybrid-alloc", deviceArg: 0, kinds: ["msix"] },
  pci_enable_msix_exact: { role: "hybrid-alloc", deviceArg: 0, kinds: ["msix"] },
  pci_enable_msi_range: { role: "hybrid-alloc", deviceArg: 0, legacy: true, kinds: ["msi"] },
  pci_enable_msi_exact: { role: "hybrid-alloc", deviceArg: 0, legacy: true, kinds: ["msi"] },
  pci_enable_msix: { role: "hybrid-alloc", deviceArg: 0, legacy: true, kinds: ["msix"] },
  pci_enable_msi_block: { role: "hybrid-alloc", deviceArg: 0, legacy: true, kinds: ["msi"] },

  pcim_alloc_irq_vectors: { role: "managed-alloc", deviceArg: 0, flagsArg: 3 },
  pcim_alloc_irq_vectors_affinity: { role: "managed-alloc", deviceArg: 0, flagsArg: 3 },

  pci_free_irq_vectors: { role: "release", deviceArg: 0 },
  pci_disable_msi: { role: "release", deviceArg: 0, kinds: ["msi"] },
  pci_disable_msix: { role: "release", deviceArg: 0, kinds: ["msix"] },
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

/**
 * Calls that set a legacy interrupt up: after a release on a path that goes on, the driver
 * falls back to INTx on `pdev->irq` (KERNEL.md, "Fallback to INTx").
 */
export const INTX_SETUP_CALLS: readonly string[] = [
  "request_irq",
  "request_threaded_irq",
  "request_any_context_irq",
  "devm_request_irq",
  "devm_request_threaded_irq",
  "devm_request_any_context_irq",
  "pci_request_irq",
];

/** A call as the facts record it: the callee's name and the arguments' texts. */
interface CatalogCall {
  callee: string;
  args: readonly string[];
}

const INTX_ONLY_FLAGS = new Set(["PCI_IRQ_INTX", "PCI_IRQ_LEGACY"]);

/** An allocation that sets up MSI or MSI-X (KERNEL.md: PCI_IRQ_INTX alone does not). */
export function allocatesMsi(call: CatalogCall): boolean {
  const entry = catalogEntry(call.callee);
  if (entry?.flagsArg === undefined) return true;
  const flags = call.args[entry.flagsArg];
  if (flags === undefined) return true;
  const names = flags.match(/\b[A-Za-z_]\w*\b/g) ?? [];
  if (names.some((name) => MSI_FLAGS.includes(name))) return true;
  return !(names.length > 0 && names.every((name) => INTX_ONLY_FLAGS.has(name)));
}

/** The callback a devm_add_action*() call registers (argument 1). */
export function devmCallback(call: CatalogCall): string | undefined {
  if (!DEVM_ACTION_REGISTRARS.includes(call.callee)) return undefined;
  return (call.args[1] ?? "").match(/\b[A-Za-z_]\w*\b/g)?.at(-1);
}

const FLAG_KINDS: Readonly<Record<string, readonly MsiKind[]>> = {
  PCI_IRQ_MSI: ["msi"],
  PCI_IRQ_MSIX: ["msix"],
  PCI_IRQ_ALL_TYPES: ["msi", "msix"],
};

/** What a catalog call allocates or releases: by its name, else by its flags, else both. */
export function msiKinds(call: CatalogCall): readonly MsiKind[] {
  const entry = catalogEntry(call.callee);
  if (entry?.kinds !== undefined) return entry.kinds;
  const flags = entry?.flagsArg === undefined ? undefined : call.args[entry.flagsArg];
  const named = (flags?.match(/\b[A-Za-z_]\w*\b/g) ?? []).flatMap((name) => FLAG_KINDS[name] ?? []);
  return named.length > 0 ? [...new Set(named)] : ["msi", "msix"];
}

/** Whether a release undoes an allocation: pci_disable_msix() only an MSI-X one. */
export function releasesKind(release: CatalogCall): (allocation: CatalogCall) => boolean {
  const released = msiKinds(release);
  return (allocation) => msiKinds(allocation).some((kind) => released.includes(kind));
}

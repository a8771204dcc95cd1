/**
 * What an era means for the reader of a report, in words: the Markdown summary, the action's job
 * summary and PR mode say it. Pure.
 */
import type { Era, Report } from "../report/types.js";

/** The era fields of a report's tree. */
export type TreeEraFields = Pick<Report["tree"], "era" | "eraDecidedBy">;

/** What each era means for a driver, in one sentence: the summaries and the Markdown say it. */
export const ERA_MEANING: Readonly<Record<Era, string>> = {
  1: "on a device enabled with pcim_enable_device(), pci_alloc_irq_vectors() and the pci_enable_msi*() allocators register a devres release, so their vectors are freed at detach without the driver saying so",
  2: "the hybrid devres release is still registered, and pcim_alloc_irq_vectors[_affinity]() exist to say so explicitly; drivers can be converted now",
  3: "pci_alloc_irq_vectors() and the pci_enable_msi*() allocators no longer register a devres release, so a managed driver that relied on it leaks its vectors at detach (and the next bind fails), while a driver that releases them itself is right",
};

export const ERA_NAMES: Readonly<Record<Era, string>> = {
  1: "hybrid",
  2: "transition",
  3: "hybrid removed",
};

/** `era 3 (hybrid removed), read from drivers/pci/msi/api.c:254`, with its source. */
export function eraLabel(tree: TreeEraFields): string | undefined {
  if (tree.era === undefined) return undefined;
  const by = tree.eraDecidedBy;
  const where = by?.file === undefined ? "" : `${by.file}${by.line === undefined ? "" : `:${by.line}`}`;
  const read = by?.source === "declarations" ? "from the declarations only" : "read from the PCI/MSI core";
  return `era ${tree.era} (${ERA_NAMES[tree.era]}), ${read}${where === "" ? "" : ` at ${where}`}`;
}

/** One paragraph: the era, where it was decided and why, and what it means for the drivers. */
export function eraParagraph(tree: TreeEraFields): string | undefined {
  const label = eraLabel(tree);
  if (label === undefined || tree.era === undefined) return undefined;
  const reason = tree.eraDecidedBy?.reason;
  return `Kernel ${label}${reason === undefined ? "" : ` (${reason})`}. What it means: ${ERA_MEANING[tree.era]}.`;
}

/** What a PR that moves the tree from one era to another does, or undefined when it does not. */
export function eraChange(base: TreeEraFields, head: TreeEraFields): string | undefined {
  if (base.era === undefined || head.era === undefined || base.era === head.era) return undefined;
  return `This change moves the tree from ${eraLabel(base)} to ${eraLabel(head)}: ${head.eraDecidedBy?.reason ?? ""}. Every driver is judged again by the new era: ${ERA_MEANING[head.era]}.`;
}

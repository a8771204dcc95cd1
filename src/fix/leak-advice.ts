/**
 * Era 3, where no mechanical patch is safe: what a human must add to a driver whose vectors leak
 * at detach, from its leak findings and its struct pci_driver. Pure.
 */
import { leaksAtDetach } from "../rules/index.js";
import { list } from "./message.js";
import type { ModuleWork } from "./plan.js";
import type { ParsedFile } from "./syntax.js";

export function leakAdvice(work: ModuleWork, files: readonly ParsedFile[]): string {
  const allocations = work.findings
    .filter((finding) => finding.ruleId === leaksAtDetach.id)
    .flatMap((finding) => finding.evidence.filter((step) => step.role === "hybrid-alloc"))
    .map((step) => `${/^\w+/.exec(step.text)?.[0] ?? "the allocation"}() at ${step.file}:${step.line}`);
  const removes = files.flatMap((file) => file.facts.drivers.flatMap((driver) => driver.remove ?? []));
  const remove =
    removes.length > 0
      ? list([...new Set(removes)].map((name) => `${name}()`))
      : "a .remove callback (the driver has none yet)";
  return (
    `the vectors leak at detach in this tree: add pci_free_irq_vectors() to ${remove} and on ` +
    `every probe error path after ${list([...new Set(allocations)])}, or allocate with pcim_alloc_irq_vectors()`
  );
}

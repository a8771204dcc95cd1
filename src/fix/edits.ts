/**
 * The edits a finding proposes, from the syntax facts alone: what the JSON report, SARIF and
 * Danger carry, and what `msi-ownership fix` applies (src/fix/plan.ts then tidies what a
 * deletion leaves behind: a label with nothing to label, a local left unused, an empty
 * callback). Whether a release may go at all is the classification's (src/model/classify.ts).
 */
import type { CallSite } from "../parse/facts.js";
import type { Edit, Fix } from "../report/types.js";

/** Allocators with a pcim_ twin taking the same arguments and returning the same thing. */
export const RENAMEABLE_ALLOCATORS: Readonly<Record<string, string>> = {
  pci_alloc_irq_vectors: "pcim_alloc_irq_vectors",
  pci_alloc_irq_vectors_affinity: "pcim_alloc_irq_vectors_affinity",
};

/**
 * The managed call that replaces a hybrid allocation, with its real arguments, and what else
 * must change where it is not a rename (the older allocators return 0, take an entries array).
 */
export function managedForm(call: CallSite): { call: string; also?: string } {
  const [dev = "pdev", a = "", b = "", c = "", d = ""] = call.args;
  const renamed = RENAMEABLE_ALLOCATORS[call.callee];
  if (renamed !== undefined) return { call: `${renamed}(${call.args.join(", ")})` };
  const returnsCount = "it returns the number of vectors, not 0, so test the result with `< 0`";
  const entries = a.replace(/^&\s*/, "");
  const noEntries = `it takes no entries array: read each vector with pci_irq_vector(${dev}, i) instead of ${entries}[i].vector`;
  switch (call.callee) {
    case "pci_enable_msi":
      return { call: `pcim_alloc_irq_vectors(${dev}, 1, 1, PCI_IRQ_MSI)`, also: returnsCount };
    case "pci_enable_msi_range":
      return { call: `pcim_alloc_irq_vectors(${dev}, ${a}, ${b}, PCI_IRQ_MSI)` };
    case "pci_enable_msi_exact":
    case "pci_enable_msi_block":
      return { call: `pcim_alloc_irq_vectors(${dev}, ${a}, ${a}, PCI_IRQ_MSI)`, also: returnsCount };
    case "pci_enable_msix_range":
      return { call: `pcim_alloc_irq_vectors(${dev}, ${b}, ${c}, PCI_IRQ_MSIX)`, also: noEntries };
    case "pci_enable_msix_exact":
    case "pci_enable_msix":
      return {
        call: `pcim_alloc_irq_vectors(${dev}, ${b}, ${b}, PCI_IRQ_MSIX)`,
        also: `${noEntries}; ${returnsCount}`,
      };
    default:
      return { call: `pcim_alloc_irq_vectors(${[dev, a, b, c, d].filter(Boolean).join(", ")})` };
  }
}

/** The conversion to pcim_alloc_irq_vectors*(): a rename edit when the tree has the API and it is one. */
export function convertFix(file: string, call: CallSite, pcimAllocIrqVectors: boolean): Fix {
  const form = managedForm(call);
  const description = `Allocate with ${form.call} instead${form.also === undefined ? "" : `; ${form.also}`}.${
    pcimAllocIrqVectors ? "" : " This tree does not have pcim_alloc_irq_vectors() yet: convert when it does."
  }`;
  const renamed = RENAMEABLE_ALLOCATORS[call.callee];
  if (!pcimAllocIrqVectors || renamed === undefined) return { description, edits: [] };
  return {
    description,
    edits: [
      {
        file,
        startLine: call.line,
        startColumn: call.column,
        endLine: call.line,
        endColumn: call.column + call.callee.length,
        replacement: renamed,
      },
    ],
  };
}

/**
 * Deleting the release statement, where its lines can go and leave valid C: it stands on its
 * own lines, in a block that keeps a statement, as a function's whole body (left empty), or
 * as the first statement of a label that another statement follows. An if's body, a label at
 * a block's end, a devm registration: the description says what to do, with no edit.
 */
export function removeReleaseFix(file: string, call: CallSite): Fix {
  const description = `Delete the ${call.callee}() call: devres releases the vectors when the driver detaches. This changes no behaviour: the second release is a no-op today.`;
  if (call.devmAction === true)
    return {
      description: `Drop the devm action that registers ${call.callee}(): devres releases the vectors when the driver detaches.`,
      edits: [],
    };
  const statement = call.statement;
  if (statement === undefined || !statement.ownLines || (statement.sole && statement.wholeBody !== true))
    return {
      description: `${description} ${NOT_MECHANICAL}`,
      edits: [],
    };
  const edit: Edit = {
    file,
    startLine: statement.line,
    startColumn: 1,
    endLine: statement.endLine + 1,
    endColumn: 1,
    replacement: "",
  };
  return { description, edits: [edit] };
}

/** Why a release that may go has no edit: deleting its lines alone would not leave valid C. */
export const NOT_MECHANICAL =
  "Edit it by hand: it does not stand on lines of its own in a block (an if with an else, a label at the end of a block), so no mechanical edit is proposed.";

const KEEP = "Do not delete this release: ";

/** A release that is redundant on one path and needed on another: advice, never an edit. */
export function keepReleaseFix(advice: string): Fix {
  return { description: `${KEEP}${advice}.`, edits: [] };
}

/** Why a teardown release without an edit stays, in a few words, from its fix. */
export function whyKept(fix: Fix): string {
  return fix.description.startsWith(KEEP)
    ? `it is also needed where devres does not follow (${fix.description.slice(KEEP.length).replace(/\.$/, "")})`
    : "it does not stand on lines of its own in a block, so it is left to a person";
}

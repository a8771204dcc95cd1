/**
 * The edits a finding proposes, from the syntax facts alone: what Danger and SARIF show as a
 * suggestion, and where `msi-ownership fix` starts (src/fix/plan.ts then checks them against the
 * source and completes them: labels, unused locals, comments).
 */
import type { CallSite } from "../parse/facts.js";
import type { Edit, Fix } from "../report/types.js";
import { implicitManaged } from "../rules/index.js";

/** Allocators with a pcim_ twin taking the same arguments and returning the same thing. */
export const RENAMEABLE_ALLOCATORS: Readonly<Record<string, string>> = {
  pci_alloc_irq_vectors: "pcim_alloc_irq_vectors",
  pci_alloc_irq_vectors_affinity: "pcim_alloc_irq_vectors_affinity",
};

/** pci_alloc_irq_vectors[_affinity]() → pcim_...: a rename, mechanical when the tree has the API. */
export function convertFix(file: string, call: CallSite, pcimAllocIrqVectors: boolean): Fix {
  const description = implicitManaged.fix;
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
 * Deleting the release statement: mechanical when it stands on its own lines and its block
 * keeps a statement. Anything subtler (a label's only statement, an if's body, a local that
 * becomes unused) needs the source and is left to the fix command.
 */
export function removeReleaseFix(file: string, call: CallSite): Fix {
  const description = `Remove ${call.callee}(): devres releases the vectors when the driver detaches.`;
  const statement = call.statement;
  if (statement === undefined || !statement.ownLines || statement.sole || call.devmAction === true) {
    return { description, edits: [] };
  }
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

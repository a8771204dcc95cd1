/**
 * Reads the era from a tree (a checkout or a git revision): the PCI/MSI core's C files and pci.h,
 * whatever paths the audit covers. The I/O edge of src/era/core.ts.
 */
import { parseFacts } from "../parse/parser.js";
import type { TreeSource } from "../scan/source.js";
import {
  eraFromCore,
  eraFromDeclarations,
  MSI_CORE_DIR,
  PCI_HEADER,
  type CoreFile,
  type TreeEra,
} from "./core.js";

export async function readEra(source: TreeSource): Promise<TreeEra> {
  const text = async (path: string): Promise<string | undefined> =>
    (await source.read(path).catch(() => undefined))?.toString("latin1");
  const pciHeader = await text(PCI_HEADER);
  const listed = await source.list(MSI_CORE_DIR).catch(() => []);
  const files: CoreFile[] = [];
  for (const { path } of listed) {
    if (!path.endsWith(".c")) continue;
    const content = await text(path);
    if (content === undefined) continue;
    try {
      files.push({ facts: parseFacts(path, content), text: content });
    } catch {
      // A core file tree-sitter gives up on is left out; the decision says what was read.
    }
  }
  if (files.length === 0) return eraFromDeclarations(pciHeader, `${MSI_CORE_DIR}/ is not in the tree`);
  return (
    eraFromCore(files, pciHeader) ??
    eraFromDeclarations(pciHeader, `${MSI_CORE_DIR}/ defines none of the MSI allocators`)
  );
}

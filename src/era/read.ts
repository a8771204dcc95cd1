/**
 * Reads the era from a tree (a checkout or a git revision): the PCI/MSI core's C files and pci.h,
 * whatever paths the audit covers. The I/O edge of src/era/core.ts.
 */
import { readyParser } from "../parse/backend.js";
import { overParseLimit, parseFacts } from "../parse/parser.js";
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
  // The core is parsed here, in the calling thread.
  await readyParser();
  const read = async (path: string): Promise<Buffer | undefined> => source.read(path).catch(() => undefined);
  const pciHeader = (await read(PCI_HEADER))?.toString("latin1");
  const listed = await source.list(MSI_CORE_DIR).catch(() => []);
  const files: CoreFile[] = [];
  const leftOut: string[] = [];
  for (const { path } of listed) {
    if (!path.endsWith(".c")) continue;
    const data = await read(path);
    if (data === undefined) continue;
    const tooLarge = overParseLimit(data.length);
    if (tooLarge !== undefined) {
      leftOut.push(`${path} (${tooLarge})`);
      continue;
    }
    const text = data.toString("latin1");
    try {
      files.push({ facts: parseFacts(path, text), text });
    } catch (error) {
      leftOut.push(`${path} (${(error as Error).message})`);
    }
  }
  const era =
    files.length === 0
      ? eraFromDeclarations(pciHeader, `${MSI_CORE_DIR}/ is not in the tree`)
      : (eraFromCore(files, pciHeader) ??
        eraFromDeclarations(pciHeader, `${MSI_CORE_DIR}/ defines none of the MSI allocators`));
  return leftOut.length === 0 ? era : { ...era, reason: `${era.reason}; not read: ${leftOut.join(", ")}` };
}

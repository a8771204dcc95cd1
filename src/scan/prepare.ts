/**
 * What a unit that names the catalog needs before the model runs, worked out from the text of its
 * files: the parse plan when it names an MSI allocator or release, else the lexical reading
 * (src/scan/lexical.ts). The scan workers do it for the units whose files they have just read,
 * so those files never travel; the audit does it for the others.
 */
import { overParseLimit } from "../parse/parser.js";
import type { TextClass } from "./classify.js";
import { lexicalSummary, moduleParsePlan, type LexicalSummary, type ParseInput } from "./lexical.js";

/** A file of the unit as the scan read it. */
export interface UnitFile {
  path: string;
  data: Buffer;
  textClass: TextClass;
}

export type Preparation =
  | {
      /** The files to parse, as the plan leaves them. */
      parse: ParseInput[];
      /** Files left out with a warning (over the parse limit). */
      warnings: string[];
    }
  | { lexical: LexicalSummary };

/** The unit's preparation; undefined when no file names the catalog (the unit is not reported). */
export function prepareUnit(files: readonly UnitFile[]): Preparation | undefined {
  if (!files.some((file) => file.textClass.catalog)) return undefined;
  if (!files.some((file) => file.textClass.msi)) {
    // Files without "pci" have nothing a lexical reading looks for.
    const texts = files.filter((file) => file.textClass.pci).map((file) => file.data.toString("latin1"));
    return { lexical: lexicalSummary(texts) };
  }
  // The size limit is on the file as it is: what the plan leaves of it could pass under it.
  const warnings: string[] = [];
  const sized = files.filter((file) => {
    const large = overParseLimit(file.data.length);
    if (large !== undefined) warnings.push(`${file.path}: skipped: ${large}`);
    return large === undefined;
  });
  const plan = moduleParsePlan(
    sized.map((file) => ({ path: file.path, data: file.data, seed: file.textClass.catalog })),
  );
  return { parse: plan ?? sized.map((file) => ({ path: file.path, source: file.data })), warnings };
}

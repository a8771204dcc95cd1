/**
 * What the scan reads in a file's text without parsing it: whether it names the catalog (and an
 * MSI allocator or release), and whether it names what the model starts from. Runs in the main
 * thread and in the scan workers.
 */
import { CATALOG_NAMES, MSI_NAMES, OTHER_DEVICE_LOOKUPS } from "../catalog.js";
import { isIdentifierChar } from "../parse/text.js";

const CATALOG_SET: ReadonlySet<string> = new Set(CATALOG_NAMES);
const MSI_SET: ReadonlySet<string> = new Set(MSI_NAMES);
/**
 * What the scan searches for: pieces shared by the catalog's names (each hit is then read as the
 * identifier around it), and any name none of them covers. Three searches instead of twenty.
 */
const CATALOG_PIECES = ["enable_device", "irq_vectors", "able_msi"];
const CATALOG_NEEDLES: readonly string[] = [
  ...CATALOG_PIECES,
  ...CATALOG_NAMES.filter((name) => !CATALOG_PIECES.some((piece) => name.includes(piece))),
];
/** Besides the catalog: what the model starts from (device lookups, a pci_driver, PM ops). */
const SEED = new RegExp(
  `\\b(?:${OTHER_DEVICE_LOOKUPS.join("|")})\\b|\\bstruct\\s+pci_driver\\s+\\w+\\s*=|\\bdev_pm_ops\\b|PM_OPS\\s*\\(`,
);

const SEED_NEEDLES = ["pci_get_", "pci_physfn", "pci_driver", "dev_pm_ops", "PM_OPS"];

/**
 * What a file's text says about it, read once during the scan. Comments may match: the parse
 * decides. Whether a file is a seed (isSeed) is read later, for the modules that are parsed.
 */
export interface TextClass {
  /** Has "pci" in it: without it, a lexical reading of its module has nothing to find in it. */
  pci: boolean;
  /** Names a catalog function: its module is in the report if code calls it. */
  catalog: boolean;
  /** Names an MSI allocator or release: only then can its module be other than no-msi. */
  msi: boolean;
}

/**
 * Which catalog names the text mentions as whole identifiers: none, some, or an MSI one. Searched
 * in the bytes: most files are never decoded.
 */
function catalogMention(source: Buffer): "none" | "catalog" | "msi" {
  let found: "none" | "catalog" = "none";
  for (const needle of CATALOG_NEEDLES) {
    for (let at = source.indexOf(needle); at >= 0; at = source.indexOf(needle, at + needle.length)) {
      let start = at;
      while (start > 0 && isIdentifierChar(source[start - 1] as number)) start--;
      let end = at + needle.length;
      while (end < source.length && isIdentifierChar(source[end] as number)) end++;
      const name = source.toString("latin1", start, end);
      if (MSI_SET.has(name)) return "msi";
      if (CATALOG_SET.has(name)) found = "catalog";
    }
  }
  return found;
}

export function classifyText(source: Buffer): TextClass {
  // Every catalog name starts with "pci": one native search rules out most files.
  if (!source.includes("pci")) return { pci: false, catalog: false, msi: false };
  const mention = catalogMention(source);
  return { pci: true, catalog: mention !== "none", msi: mention === "msi" };
}

/**
 * The file is parsed whenever its module is: besides the catalog, it names what the model starts
 * from (a device lookup, a pci_driver, PM ops).
 */
export function isSeed(source: Buffer): boolean {
  return SEED_NEEDLES.some((needle) => source.includes(needle)) && SEED.test(source.toString("latin1"));
}

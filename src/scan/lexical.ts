/**
 * The prefilter's reading of a module whose text never names an MSI allocator or release: such
 * a module can only be no-msi, so it needs no parse, only the two facts the report shows of it:
 * whether code in a function calls the catalog (comments, strings, `#if 0` and macro bodies do
 * not count, as in the parse), and its `struct pci_driver` variables. A test proves that this
 * gives the same report as parsing.
 */
import { CATALOG_NAMES } from "../catalog.js";
import { replaceNonCode } from "../parse/text.js";

export interface LexicalSummary {
  callsCatalog: boolean;
  drivers: string[];
}

const CATALOG_CALL = new RegExp(`\\b(?:${CATALOG_NAMES.join("|")})\\s*\\(`);
// Attributes between the name and `=` are bounded: unbounded, many `struct pci_driver x` with no
// `=` after them make the search quadratic.
const PCI_DRIVER_TEXT = /\bstruct\s+pci_driver\s+\w+\b[^;={}()]{0,500}=\s*\{/;
const PCI_DRIVER = /\bstruct\s+pci_driver\s+(\w+)\b[^;={}()]{0,500}=\s*\{/g;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/**
 * Comments, strings, preprocessor lines and `#if 0` regions blanked out; line structure kept.
 * With `firstBranch`, only the branch of each conditional that a brace count can trust is
 * kept (`#ifdef A ... {` `#else ... {` `#endif` opens one block, not two).
 */
export function codeOnly(text: string, firstBranch = false): string {
  // One pass: the equivalent regular expression is quadratic on unterminated comments and strings.
  const blanked = replaceNonCode(text, { literals: true }, (match) =>
    match.includes("\n") ? match.replace(/[^\n]+/g, "") : " ",
  );
  const lines = blanked.split("\n");
  // Each open conditional: whether its current branch is removed.
  const removed: boolean[] = [];
  let continued = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const directive: RegExpExecArray | null =
      continued || !line.includes("#") ? null : /^\s*#\s*(\w*)(.*)$/.exec(line);
    const wasContinued: boolean = continued;
    continued = (directive !== null || wasContinued) && /\\\s*$/.test(line);
    if (directive === null) {
      if (wasContinued || removed.includes(true)) lines[i] = "";
      continue;
    }
    lines[i] = "";
    const [, keyword, rest] = directive;
    if (keyword === "if" || keyword === "ifdef" || keyword === "ifndef") {
      removed.push(keyword === "if" && /^\s*\(*\s*0\s*\)*\s*$/.test(rest ?? ""));
    } else if ((keyword === "else" || keyword === "elif" || keyword === "elifdef") && removed.length > 0) {
      // The alternative of `#if 0` is compiled; the alternative of anything else may be.
      removed[removed.length - 1] = firstBranch ? !removed[removed.length - 1] : false;
    } else if (keyword === "endif") {
      removed.pop();
    }
  }
  return lines.join("\n");
}

/** Matches of a global pattern outside any brace. */
function topLevelMatches(code: string, pattern: RegExp): RegExpExecArray[] {
  const found: RegExpExecArray[] = [];
  let depth = 0;
  let scanned = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(code); match !== null; match = pattern.exec(code)) {
    for (; scanned < match.index; scanned++) {
      const char = code.charCodeAt(scanned);
      if (char === OPEN_BRACE) depth++;
      else if (char === CLOSE_BRACE && depth > 0) depth--;
    }
    if (depth === 0) found.push(match);
  }
  return found;
}

export function lexicalSummary(texts: readonly string[]): LexicalSummary {
  let callsCatalog = false;
  const drivers: string[] = [];
  for (const text of texts) {
    if (!text.includes("pci")) continue;
    // The cheap test on the raw text first: codeOnly() is only needed where it can match.
    if (!callsCatalog && CATALOG_CALL.test(text)) callsCatalog = CATALOG_CALL.test(codeOnly(text));
    if (!PCI_DRIVER_TEXT.test(text)) continue;
    for (const match of topLevelMatches(codeOnly(text, true), PCI_DRIVER)) drivers.push(match[1] as string);
  }
  return { callsCatalog, drivers };
}

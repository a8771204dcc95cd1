/**
 * The prefilter's reading of a module whose text never names an MSI allocator or release: such
 * a module can only be no-msi, so it needs no parse, only the two facts the report shows of it:
 * whether code in a function calls the catalog (comments, strings, `#if 0` and macro bodies do
 * not count, as in the parse), and its `struct pci_driver` variables. A test proves that this
 * gives the same report as parsing.
 */
import {
  CATALOG_NAMES,
  DEVM_ACTION_REGISTRARS,
  OTHER_DEVICE_LOOKUPS,
  PCI_DRIVER_REGISTRARS,
} from "../catalog.js";
import { APOSTROPHE, literalEnd, NEWLINE, QUOTE, replaceNonCode, SLASH } from "../parse/text.js";
import type { FileFacts } from "../parse/facts.js";
import { isSeed } from "./classify.js";

export interface LexicalSummary {
  callsCatalog: boolean;
  drivers: string[];
}

const CATALOG_CALL = new RegExp(`\\b(?:${CATALOG_NAMES.join("|")})\\s*\\(`);
// Attributes between the name and `=` are bounded: unbounded, many `struct pci_driver x` with no
// `=` after them make the search quadratic.
const PCI_DRIVER_DECLARATION = String.raw`\bstruct\s+pci_driver\s+(\w+)\b[^;={}()]{0,500}=\s*`;
const PCI_DRIVER_TEXT = new RegExp(`${PCI_DRIVER_DECLARATION}\\{`);
const PCI_DRIVER = new RegExp(`${PCI_DRIVER_DECLARATION}\\{`, "g");
/** The header of a block that initialises a `struct pci_driver`: the variable. */
const PCI_DRIVER_HEADER = new RegExp(`${PCI_DRIVER_DECLARATION}$`);
const CATALOG_CALLS = new RegExp(CATALOG_CALL.source, "g");
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** A comment or literal as codeOnly() leaves it: its line breaks, or a space. */
const LINE_BREAKS_ONLY = (match: string): string =>
  match.includes("\n") ? match.replace(/[^\n]+/g, "") : " ";

/**
 * Comments, strings, preprocessor lines and `#if 0` regions blanked out; line structure kept.
 * With `firstBranch`, only the branch of each conditional that a brace count can trust is
 * kept (`#ifdef A ... {` `#else ... {` `#endif` opens one block, not two).
 */
export function codeOnly(text: string, firstBranch = false): string {
  // One pass: the equivalent regular expression is quadratic on unterminated comments and strings.
  const blanked = replaceNonCode(text, { literals: true }, LINE_BREAKS_ONLY);
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
    // The cheap tests on the raw text first: the text is only read further where they match.
    const calls = !callsCatalog && CATALOG_CALL.test(text);
    const driver = PCI_DRIVER_TEXT.test(text);
    if (!calls && !driver) continue;
    const found = textBlocks(text);
    if (found === undefined) {
      // Braces that do not balance: the whole text, as the parse would read it.
      if (calls) callsCatalog = CATALOG_CALL.test(codeOnly(text));
      if (driver)
        for (const match of topLevelMatches(codeOnly(text, true), PCI_DRIVER))
          drivers.push(match[1] as string);
      continue;
    }
    if (calls) callsCatalog = callsInBlocks(text, found.blocks);
    for (const block of found.blocks) if (block.driver !== undefined) drivers.push(block.driver);
  }
  return { callsCatalog, drivers };
}

/**
 * Whether code in a top-level block calls the catalog: a call at file scope is in no function,
 * and the parse does not count it either. Only the blocks where the raw text has a call are read.
 */
function callsInBlocks(text: string, blocks: readonly TextBlock[]): boolean {
  let checked: TextBlock | undefined;
  for (const match of text.matchAll(CATALOG_CALLS)) {
    const block = blocks[blockAt(blocks, match.index)];
    if (block === undefined || block === checked) continue;
    checked = block;
    if (CATALOG_CALL.test(codeOnly(text.slice(block.open, block.close + 1)))) return true;
  }
  return false;
}

/** The index of the block whose braces enclose `offset`; -1 when none does. */
function blockAt(blocks: readonly TextBlock[], offset: number): number {
  let low = 0;
  let high = blocks.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const block = blocks[middle] as TextBlock;
    if (offset <= block.open) high = middle - 1;
    else if (offset >= block.close) low = middle + 1;
    else return middle;
  }
  return -1;
}

/** A top-level brace block as the text shows it, by offsets: a function body or anything else. */
interface TextBlock {
  /**
   * For a function body, the identifiers before each top-level `(` of its header: the name, and
   * any annotation; empty for an initialiser, a struct, union or enum body.
   */
  names: string[];
  /** An initialiser of a `struct pci_driver` or `struct dev_pm_ops`: parsed whatever it names. */
  structure: boolean;
  /** The variable a `struct pci_driver` initialiser is for. */
  driver: string | undefined;
  /** Offsets of the braces. */
  open: number;
  close: number;
  /** Offsets of the lines strictly between the braces, when blanking them is safe. */
  blank: Region | undefined;
  /**
   * The block with its header, from the end of what comes before, when taking it out whole is
   * safe: no preprocessor line among them, and nothing the parse reads from the text.
   */
  whole: Region | undefined;
}

/** A stretch of text, by offsets: [start, end). */
interface Region {
  start: number;
  end: number;
}

const IDENTIFIER_BEFORE_PAREN = /([A-Za-z_]\w*)\s*$/;

const STRUCTURE = /\b(?:pci_driver|dev_pm_ops)\b/;
/** What a header may name that the parse reads from the text (extract.ts): it stays. */
const READ_IN_HEADER = new RegExp(
  `pci_driver|dev_pm_ops|PM_OPS|\\b(?:${PCI_DRIVER_REGISTRARS.join("|")})\\b`,
);

/**
 * A function header's candidate names: every identifier right before a `(` at parenthesis depth
 * 0. Empty for any other header.
 */
function headerNames(header: string): string[] {
  const trimmed = header.trimEnd();
  // An initialiser (`= {`), a struct, enum or union body: not a function.
  if (!trimmed.endsWith(")") || trimmed.includes("=")) return [];
  const names: string[] = [];
  let depth = 0;
  for (let i = 0; i < trimmed.length; i++) {
    const char = trimmed.charCodeAt(i);
    if (char === OPEN_PAREN) {
      if (depth === 0) {
        const name = IDENTIFIER_BEFORE_PAREN.exec(trimmed.slice(Math.max(0, i - 200), i))?.[1];
        if (name !== undefined) names.push(name);
      }
      depth++;
    } else if (char === CLOSE_PAREN) {
      depth--;
    }
  }
  return names;
}

const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
/** Preprocessor lines the parse reads nothing from, unless they name what READ_IN_HEADER says. */
const UNREAD_DIRECTIVES: ReadonlySet<string> = new Set(["include", "define", "undef", "pragma"]);
/** What the scan stops at: comments, literals, braces, `;` and preprocessor lines. */
const TOKEN = /\/\*|\/\/|["'{};]|(?:^|\n)[ \t]*#/g;
const DIRECTIVE = /#\s*(\w*)([^\n]*)/y;
const ONLY_ZERO = /^\s*\(*\s*0\s*\)*\s*$/;
const WHITESPACE_ONLY = /^\s*$/;
/** A line that a backslash continues: only blanks may follow it, not the line break after. */
const CONTINUED = /\\[ \t\r]*$/;

/**
 * The top-level brace blocks of one file, and what between them the parse does not read
 * (comments, includes, macro definitions), or undefined when its braces do not
 * balance. Braces are counted in code only: not in comments, literals, preprocessor lines, `#if 0`
 * regions, or the later branches of a conditional (`#ifdef A ... {` `#else ... {` `#endif` opens
 * one block), as codeOnly(text, true) shows the text. One pass, no copy of the text.
 */
function textBlocks(text: string): { blocks: TextBlock[]; unread: Region[] } | undefined {
  const blocks: TextBlock[] = [];
  const unread: Region[] = [];
  let depth = 0;
  // The top-level header being read: its code so far, and where its next piece starts.
  let header = "";
  let piece = 0;
  let open = -1;
  // Where the top-level item being read (a declaration, or a header and its block) starts, and
  // whether a preprocessor line interrupts it.
  let item = 0;
  let itemInterrupted = false;
  // Preprocessor conditionals: whether each open one's current branch is out of the count
  // because it is `#if 0` (all) or a later branch (first); how many of each are out.
  const zero: boolean[] = [];
  const later: boolean[] = [];
  let out = 0;
  let conditionals = 0;
  let conditionalsAtOpen = 0;
  // A conditional opened outside the body switches branch or closes inside it.
  let bodyCrossesConditional = false;
  let directiveEnd = -1;
  let commentNeverCloses = Infinity;
  let stringFailsBefore = -1;
  let charFailsBefore = -1;
  const counting = (): boolean => out === 0;
  const skip = (from: number, to: number): void => {
    if (depth === 0 && counting()) header += `${text.slice(piece, from)} `;
    piece = to;
  };
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    const at = match.index;
    const token = match[0];
    const char = token.charCodeAt(0);
    if (char === SLASH) {
      if (token === "//") {
        const newline = text.indexOf("\n", at + 2);
        const end = newline < 0 ? text.length : newline;
        if (depth === 0) unread.push({ start: at, end });
        skip(at, end);
        TOKEN.lastIndex = end;
        continue;
      }
      const close = at + 2 < commentNeverCloses ? text.indexOf("*/", at + 2) : -1;
      if (close < 0) {
        commentNeverCloses = at + 2;
        TOKEN.lastIndex = at + 1;
        continue;
      }
      if (depth === 0) unread.push({ start: at, end: close + 2 });
      skip(at, close + 2);
      TOKEN.lastIndex = close + 2;
      continue;
    }
    if (at < directiveEnd) continue;
    if (char === QUOTE || char === APOSTROPHE) {
      const failsBefore = char === QUOTE ? stringFailsBefore : charFailsBefore;
      if (at >= failsBefore) {
        const { end, failedAt } = literalEnd(text, at, char);
        if (end >= 0) {
          skip(at, end);
          TOKEN.lastIndex = end;
        } else if (char === QUOTE) stringFailsBefore = failedAt;
        else charFailsBefore = failedAt;
      }
      continue;
    }
    if (token.endsWith("#")) {
      // A preprocessor line, continued by backslashes.
      const hash = at + token.length - 1;
      let end = text.indexOf("\n", hash);
      while (end >= 0 && CONTINUED.test(text.slice(Math.max(hash, end - 8), end)))
        end = text.indexOf("\n", end + 1);
      if (end < 0) end = text.length;
      const lineStart = char === NEWLINE ? at + 1 : at;
      skip(lineStart, end);
      directiveEnd = end;
      if (depth === 0) {
        if (/\S/.test(header)) itemInterrupted = true;
        else if (!itemInterrupted) item = end;
      }
      // Resume right after the `#`: a comment opened on the line may run past it.
      TOKEN.lastIndex = hash + 1;
      DIRECTIVE.lastIndex = hash;
      const directive = DIRECTIVE.exec(text);
      const keyword = directive?.[1] ?? "";
      const rest = (directive?.[2] ?? "").replace(/\/\*.*?\*\/|\/\/.*$/g, " ");
      if (depth === 0 && UNREAD_DIRECTIVES.has(keyword) && !READ_IN_HEADER.test(text.slice(hash, end)))
        unread.push({ start: lineStart, end });
      if (keyword === "if" || keyword === "ifdef" || keyword === "ifndef") {
        const isZero = keyword === "if" && ONLY_ZERO.test(rest);
        zero.push(isZero);
        later.push(isZero);
        if (isZero) out += 1;
        conditionals++;
      } else if ((keyword === "else" || keyword === "elif" || keyword === "elifdef") && zero.length > 0) {
        if (depth > 0 && conditionals <= conditionalsAtOpen) bodyCrossesConditional = true;
        const top = zero.length - 1;
        const wasOut = zero[top] === true || later[top] === true;
        zero[top] = false;
        later[top] = !(later[top] as boolean);
        const isOut = later[top] === true;
        out += (isOut ? 1 : 0) - (wasOut ? 1 : 0);
      } else if (keyword === "endif") {
        if (later.length > 0) {
          zero.pop();
          if (later.pop() === true) out -= 1;
        }
        conditionals--;
        if (depth > 0 && conditionals < conditionalsAtOpen) bodyCrossesConditional = true;
      }
      continue;
    }
    if (!counting()) continue;
    if (char === OPEN_BRACE) {
      if (depth === 0) {
        header += text.slice(piece, at);
        open = at;
        conditionalsAtOpen = conditionals;
        bodyCrossesConditional = false;
      }
      depth++;
    } else if (char === CLOSE_BRACE) {
      if (--depth < 0) return undefined;
      if (depth > 0) continue;
      // Every block has every field, so that the code reading them sees one shape.
      const block: TextBlock = {
        names: headerNames(header),
        structure: STRUCTURE.test(header),
        driver: PCI_DRIVER_HEADER.exec(header)?.[1],
        open,
        close: at,
        blank: undefined,
        whole: undefined,
      };
      const afterOpen = text.indexOf("\n", open);
      const closeLine = text.lastIndexOf("\n", at) + 1;
      if (
        afterOpen >= 0 &&
        afterOpen + 1 < closeLine &&
        WHITESPACE_ONLY.test(text.slice(open + 1, afterOpen)) &&
        WHITESPACE_ONLY.test(text.slice(closeLine, at)) &&
        conditionals === conditionalsAtOpen &&
        !bodyCrossesConditional
      ) {
        block.blank = { start: afterOpen + 1, end: closeLine };
      }
      if (
        !itemInterrupted &&
        conditionals === conditionalsAtOpen &&
        !bodyCrossesConditional &&
        !READ_IN_HEADER.test(header)
      ) {
        block.whole = { start: item, end: at + 1 };
      }
      blocks.push(block);
      header = "";
      piece = at + 1;
      item = at + 1;
      itemInterrupted = false;
    } else if (depth === 0) {
      // `;`
      header = "";
      piece = at + 1;
      item = at + 1;
      itemInterrupted = false;
    }
  }
  return depth === 0 ? { blocks, unread } : undefined;
}

/** A function whose body names one of these reaches the catalog, and so do its callers. */
const CATALOG_SET: ReadonlySet<string> = new Set(CATALOG_NAMES);
/** Bodies that name these are parsed for what the parse reads of them, reaching or not. */
const READ_NAMES: ReadonlySet<string> = new Set([
  ...OTHER_DEVICE_LOOKUPS,
  ...PCI_DRIVER_REGISTRARS,
  ...DEVM_ACTION_REGISTRARS,
]);

export interface ModuleFile {
  path: string;
  data: Buffer;
  /**
   * The file names the catalog (its TextClass says so): it is parsed whatever its functions, and
   * it is where the plan looks for catalog calls. Others are parsed too when one of their
   * functions reaches the catalog, or isSeed() finds what else the model starts from (a device
   * lookup, a pci_driver, PM ops).
   */
  seed: boolean;
}

export interface ParseInput {
  path: string;
  /** UTF-8. */
  source: Buffer;
  /**
   * Where the plan took lines out, as pairs: an offset in the text parsed, and how many
   * characters were taken out before it in all. remapOffsets() moves the facts' offsets back.
   */
  shifts?: number[];
}

/**
 * The text as UTF-8 with the given regions (in order) blanked. A line wholly inside a region
 * loses its characters (its line break stays, so every line number and the column of every
 * character on the other lines stay); a part of a line becomes as many spaces as it had UTF-16
 * code units. tree-sitter then reads neither.
 */
export function compactSource(
  text: string,
  regions: readonly Region[],
): { source: Buffer; shifts: number[] } {
  const out = Buffer.allocUnsafe(Buffer.byteLength(text, "utf8"));
  const shifts: number[] = [];
  let length = 0;
  let position = 0;
  let removed = 0;
  let copied = 0;
  const copy = (end: number): void => {
    length += out.write(text.slice(copied, end), length, "utf8");
    position += end - copied;
    copied = end;
  };
  for (const region of regions) {
    copy(region.start);
    for (let at = region.start; at < region.end;) {
      const newline = text.indexOf("\n", at);
      const end = newline < 0 || newline >= region.end ? region.end : newline;
      if (end === newline && (at === 0 || text.charCodeAt(at - 1) === NEWLINE)) {
        removed += end - at;
        // Only line breaks lie between emptied lines, and no fact starts or ends at one: a run
        // of them needs one pair, at its last line break.
        if (shifts.length > 0 && shifts[shifts.length - 2] === position - 1) {
          shifts[shifts.length - 2] = position;
          shifts[shifts.length - 1] = removed;
        } else {
          shifts.push(position, removed);
        }
      } else {
        out.fill(0x20, length, length + end - at);
        length += end - at;
        position += end - at;
      }
      copied = end;
      if (end === newline) copy(end + 1);
      at = end + 1;
    }
  }
  copy(text.length);
  return { source: out.subarray(0, length), shifts };
}

/** The regions, in order, overlapping ones joined. */
function union(regions: Region[]): Region[] {
  const joined: Region[] = [];
  for (const region of regions.sort((a, b) => a.start - b.start)) {
    const last = joined.at(-1);
    if (last !== undefined && region.start <= last.end) last.end = Math.max(last.end, region.end);
    else joined.push({ ...region });
  }
  return joined;
}

/** The offset in the original text of an offset in the compacted one. */
export function originalOffset(shifts: readonly number[], offset: number): number {
  let low = 0;
  let high = shifts.length / 2 - 1;
  let shift = 0;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((shifts[2 * middle] as number) <= offset) {
      shift = shifts[2 * middle + 1] as number;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return offset + shift;
}

/** Facts extracted from a compacted text, with their offsets moved back to the original's. */
export function remapOffsets(facts: FileFacts, shifts: readonly number[]): FileFacts {
  if (shifts.length === 0) return facts;
  for (const call of facts.calls) {
    call.startByte = originalOffset(shifts, call.startByte);
    call.endByte = originalOffset(shifts, call.endByte);
    if (call.statement !== undefined) {
      call.statement.startByte = originalOffset(shifts, call.statement.startByte);
      call.statement.endByte = originalOffset(shifts, call.statement.endByte);
    }
  }
  return facts;
}

/** A file of the module that the plan has read. */
interface ReadFile {
  text: string;
  blocks: TextBlock[];
  /** Top-level comments, includes and macro definitions: the parse reads nothing from them. */
  unread: Region[];
  bodies: Body[];
}

/** A top-level block and what it names. */
interface Body {
  block: TextBlock;
  catalog: boolean;
  read: boolean;
  /** For a block that is not a function: it names a function that reaches the catalog. */
  namesReaching: boolean;
}

/** Any of the names, as a whole identifier. */
function anyOf(names: Iterable<string>): RegExp {
  return new RegExp(`\\b(?:${[...names].join("|")})\\b`, "g");
}

/** The catalog's names and READ_NAMES: what every block read is searched for. */
const ALWAYS_SEARCHED = anyOf([...CATALOG_SET, ...READ_NAMES]);

function readFile(data: Buffer): ReadFile | undefined {
  const text = data.toString("utf8");
  const found = textBlocks(text);
  if (found === undefined) return undefined;
  const bodies = found.blocks.map((block): Body => ({
    block,
    catalog: false,
    read: false,
    namesReaching: false,
  }));
  for (const match of text.matchAll(ALWAYS_SEARCHED)) {
    const body = bodies[blockAt(found.blocks, match.index)];
    if (body === undefined) continue;
    if (CATALOG_SET.has(match[0])) body.catalog = true;
    else body.read = true;
  }
  return { text, ...found, bodies };
}

/**
 * What of a module to parse: the seeds and every file with a function whose body names, directly
 * or through the module's other functions, a catalog function. In them, every other top-level
 * block goes (compactSource: line numbers and columns stay, offsets are mapped back): the
 * functions that cannot reach the catalog, header and all (only their body where a preprocessor
 * line runs through the header), the initialisers and type bodies that name nothing of interest,
 * and the comments, includes and macro definitions between them. A function that goes calls
 * nothing that reaches the catalog, so the model sees the same catalog calls and the same paths
 * to them.
 *
 * The reaching functions are found round by round, from the seeds: a file is read (decoded and
 * its blocks found) only once it names a function known to reach the catalog, so most files of a
 * large module are only searched, by one regular expression per round, for a few names.
 * Undefined when the braces of a file read do not balance: the caller then parses the module's
 * files whole.
 */
export function moduleParsePlan(files: readonly ModuleFile[]): ParseInput[] | undefined {
  const read: (ReadFile | undefined)[] = files.map(() => undefined);
  const reaching = new Set<string>();
  const pending: string[] = [];
  const reach = (body: Body): void => {
    for (const name of body.block.names) {
      if (reaching.has(name)) continue;
      reaching.add(name);
      pending.push(name);
    }
  };
  const readAt = (index: number): ReadFile | undefined => {
    const file = readFile((files[index] as ModuleFile).data);
    read[index] = file;
    for (const body of file?.bodies ?? []) if (body.catalog && body.block.names.length > 0) reach(body);
    return file;
  };
  for (const [index, file] of files.entries()) {
    if (file.seed && readAt(index) === undefined) return undefined;
  }
  // Round by round, the functions that name a reaching one reach too. A file not read yet that
  // names none of the reaching functions so far has no function that reaches: it is only
  // searched, as bytes, for the names found in the round before.
  const latin1: (string | undefined)[] = files.map(() => undefined);
  while (pending.length > 0) {
    const named = anyOf(pending.splice(0));
    for (const [index, file] of files.entries()) {
      let readOne = read[index];
      if (readOne === undefined) {
        if ((latin1[index] ??= file.data.toString("latin1")).search(named) < 0) continue;
        readOne = readAt(index);
        if (readOne === undefined) return undefined;
      }
      for (const match of readOne.text.matchAll(named)) {
        const body = readOne.bodies[blockAt(readOne.blocks, match.index)];
        if (body === undefined) continue;
        if (body.block.names.length > 0) reach(body);
        else body.namesReaching = true;
      }
    }
  }
  const reaches = (body: Body): boolean => body.block.names.some((name) => reaching.has(name));
  // A block that is not a function is kept when it names anything of interest: it may be a
  // function whose header the text does not show (a macro).
  const kept = (body: Body): boolean =>
    body.read ||
    reaches(body) ||
    (body.block.names.length === 0 && (body.block.structure || body.catalog || body.namesReaching));

  const plan: ParseInput[] = [];
  for (const [index, file] of files.entries()) {
    let readOne = read[index];
    const parsed = file.seed || readOne?.bodies.some(reaches) === true || isSeed(file.data);
    if (!parsed) continue;
    readOne ??= readAt(index);
    if (readOne === undefined) return undefined;
    // A block that is not kept goes with its header where it can, else its body does. Comments,
    // includes and macro definitions between the blocks go too: the parse reads nothing from them.
    const blanks = readOne.bodies
      .filter((body) => !kept(body))
      .flatMap((body) => body.block.whole ?? body.block.blank ?? [])
      .concat(readOne.unread);
    plan.push({ path: file.path, ...compactSource(readOne.text, union(blanks)) });
  }
  return plan;
}

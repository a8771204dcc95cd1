/**
 * The kernel's MAINTAINERS file: who maintains a path, decided the way
 * scripts/get_maintainer.pl decides it (read_maintainer_file, file_match_pattern and the
 * ranking in get_maintainers), so the summary names the people `get_maintainer.pl -f` names.
 *
 * Pure: the caller reads the file; nothing here touches the disk.
 */

export interface MaintainersEntry {
  /** The one-letter tag: F, X, N, K, M, R, L, S, T, W, ... */
  type: string;
  value: string;
}

export interface MaintainersSection {
  /** The title line, e.g. `INTEL ETHERNET DRIVERS`. */
  name: string;
  /** 1-based line of the title in the file. */
  line: number;
  /** Every tagged line, in file order (matching depends on the order, see sectionsFor). */
  entries: MaintainersEntry[];
  /** `M:` values, `Name <address>`. */
  maintainers: string[];
  /** `R:` values. */
  reviewers: string[];
  /** `L:` values with their annotation (`netdev@vger.kernel.org`, `x@y (moderated for non-subscribers)`). */
  lists: string[];
  /** `S:` value (Maintained, Supported, Odd Fixes, Orphan, ...). */
  status?: string;
}

export interface Maintainers {
  sections: MaintainersSection[];
  /** Patterns that could not be compiled, one line each (the section and the pattern). */
  warnings: string[];
}

export interface SectionMatch {
  section: MaintainersSection;
  /**
   * get_maintainer.pl's rank: the depth of the pattern that matched (its `/` count, plus one
   * when it names a file or glob rather than a directory); 0 for an `N:` match, -1 for a
   * pattern starting with `*`. Higher is more specific.
   */
  depth: number;
}

const TAGGED = /^([A-Z]):\s*(.*)$/;

/**
 * Sections are a title line followed by tagged lines. Blank lines and `#` comments are
 * dropped first, as get_maintainer.pl does, so a comment inside a section does not split it.
 * The preamble's examples are indented, so they never look tagged.
 */
export function parseMaintainers(text: string): Maintainers {
  const sections: MaintainersSection[] = [];
  const warnings: string[] = [];
  let title: { name: string; line: number } | undefined;
  let current: MaintainersSection | undefined;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (/^\s*$/.test(line) || /^\s*#/.test(line)) continue;
    const tagged = TAGGED.exec(line);
    if (!tagged) {
      title = { name: line.trim(), line: index + 1 };
      current = undefined;
      continue;
    }
    if (current === undefined) {
      // Tagged lines with no title before them (only at the very top) belong to no section.
      if (title === undefined) continue;
      current = { ...title, entries: [], maintainers: [], reviewers: [], lists: [] };
      sections.push(current);
      title = undefined;
    }
    const type = tagged[1]!;
    const value = tagged[2]!.trim();
    current.entries.push({ type, value });
    if (type === "M") current.maintainers.push(value);
    else if (type === "R") current.reviewers.push(value);
    else if (type === "L") current.lists.push(value);
    else if (type === "S") current.status = value;
    if (type === "F" || type === "X" || type === "N") {
      try {
        compiled(type, value);
      } catch (error) {
        warnings.push(
          `MAINTAINERS:${index + 1}: ${current.name}: bad ${type}: pattern '${value}' (${(error as Error).message})`,
        );
      }
    }
  }
  return { sections, warnings };
}

const regexCache = new Map<string, RegExp>();

/**
 * F:/X: patterns become regexes as read_maintainer_file does: `.` is literal, `*` is `.*`,
 * `?` is `.`, anything else (`[ch]`) stays regex syntax. N: is a Perl regex with /x.
 */
function compiled(type: string, value: string): RegExp {
  const key = `${type}:${value}`;
  let regex = regexCache.get(key);
  if (regex === undefined) {
    if (type === "N") {
      regex = new RegExp(stripExtendedWhitespace(value));
    } else {
      const source = value.replace(/\./g, "\\.").replace(/\*/g, ".*").replace(/\?/g, ".");
      regex = new RegExp(`^${source}`);
    }
    regexCache.set(key, regex);
  }
  return regex;
}

/** Perl's /x: unescaped whitespace outside a character class is not part of the pattern. */
function stripExtendedWhitespace(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) {
      out += ch + pattern[i + 1];
      i++;
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "]") inClass = false;
    if (!inClass && /\s/.test(ch)) continue;
    if (!inClass && ch === "#") break;
    out += ch;
  }
  return out;
}

function slashes(text: string): number {
  let count = 0;
  for (const ch of text) if (ch === "/") count++;
  return count;
}

/**
 * A pattern without a trailing `/` that names a directory gets one (read_maintainer_file's
 * `-d` test). Here the file being matched stands in for the disk: if `path` lies under the
 * pattern, the pattern is a directory of this tree. Like the `-d` test on the converted
 * pattern, anything with `.`, `*` or `?` in it never counts as a directory. That guess is
 * wrong only for a sibling that extends the directory's name (`legacy` vs `legacyx.c`);
 * callers that know the tree's directories pass `isDirectory` to be exact.
 */
function asDirectory(pattern: string, path: string, isDirectory?: (path: string) => boolean): string {
  if (pattern.endsWith("/") || /[.*?]/.test(pattern)) return pattern;
  const directory = isDirectory ? isDirectory(pattern) : path.startsWith(`${pattern}/`);
  return directory ? `${pattern}/` : pattern;
}

/** file_match_pattern: a directory pattern matches everything below it; others match at the same depth. */
function fileMatchesPattern(path: string, pattern: string): boolean {
  let regex: RegExp;
  try {
    regex = compiled("F", pattern);
  } catch {
    return false;
  }
  if (!regex.test(path)) return false;
  return pattern.endsWith("/") || slashes(path) === slashes(pattern);
}

/**
 * Every section that covers `path` (relative to the tree's root, with `/`), most specific
 * first, as get_maintainer.pl ranks them: a section's rank is the depth of its *last*
 * matching F: or N: line (the script overwrites it line by line); X: excludes the section
 * whatever else matches. Ties keep the file's order (the script's order is a hash's).
 */
export function sectionsFor(
  maintainers: Maintainers,
  path: string,
  options: { isDirectory?: (path: string) => boolean } = {},
): SectionMatch[] {
  const { isDirectory } = options;
  const matches: { match: SectionMatch; order: number }[] = [];
  maintainers.sections.forEach((section, order) => {
    const excluded = section.entries.some(
      (entry) => entry.type === "X" && fileMatchesPattern(path, asDirectory(entry.value, path, isDirectory)),
    );
    if (excluded) return;
    let depth: number | undefined;
    for (const entry of section.entries) {
      if (entry.type === "F") {
        const pattern = asDirectory(entry.value, path, isDirectory);
        if (!fileMatchesPattern(path, pattern)) continue;
        depth = slashes(pattern) + (pattern.endsWith("/") ? 0 : 1);
        if (pattern.startsWith("*")) depth = -1;
      } else if (entry.type === "N") {
        let regex: RegExp;
        try {
          regex = compiled("N", entry.value);
        } catch {
          continue;
        }
        if (regex.test(path)) depth = 0;
      }
    }
    if (depth !== undefined) matches.push({ match: { section, depth }, order });
  });
  matches.sort((a, b) => b.match.depth - a.match.depth || a.order - b.order);
  return matches.map(({ match }) => match);
}

/**
 * The section a driver is filed under in the summary: the most specific one for the first of
 * its files that any section covers, or undefined when none does.
 */
export function subsystemOf(
  maintainers: Maintainers,
  files: readonly string[],
  options: { isDirectory?: (path: string) => boolean } = {},
): MaintainersSection | undefined {
  for (const file of files) {
    const [best] = sectionsFor(maintainers, file, options);
    if (best) return best.section;
  }
  return undefined;
}

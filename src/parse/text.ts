/**
 * Comments and literals found in one pass over the text. The regular expressions this replaces
 * (`/\/\*[\s\S]*?\*\//g`, `/"(?:\\.|[^"\\\n])*"/g`) are quadratic on hostile input: each
 * unterminated `/*` or `"` makes the engine scan to the end of the text (or line) again, so a
 * few hundred kilobytes of `/*` took tens of seconds. This scanner gives the same matches: a
 * scan that found no end is remembered, so later starts inside it fail at once.
 */

/** Character codes of the C lexer's landmarks. */
export const SLASH = 47;
const STAR = 42;
export const QUOTE = 34;
export const APOSTROPHE = 39;
const BACKSLASH = 92;
export const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/** A character of a C identifier (or of a number): what `\w` matches, `[A-Za-z0-9_]`. */
export function isIdentifierChar(char: number): boolean {
  return (
    (char >= 97 && char <= 122) || (char >= 65 && char <= 90) || (char >= 48 && char <= 57) || char === 95
  );
}

/** What `.` does not match in a JavaScript regular expression (without the `s` flag). */
function isLineTerminator(char: number): boolean {
  return char === NEWLINE || char === CARRIAGE_RETURN || char === 0x2028 || char === 0x2029;
}

export interface NonCodeOptions {
  /** Also string and character literals (`"..."`, `'...'`, not spanning lines). */
  literals: boolean;
}

/**
 * End (exclusive) of the literal opened by `quote` at `start`, or -1 when it does not close
 * before a newline or the end: the grammar `q(?:\\.|[^q\\\n])*q`.
 */
export function literalEnd(text: string, start: number, quote: number): { end: number; failedAt: number } {
  for (let i = start + 1; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === quote) return { end: i + 1, failedAt: -1 };
    if (char === NEWLINE) return { end: -1, failedAt: i };
    if (char === BACKSLASH) {
      if (i + 1 >= text.length || isLineTerminator(text.charCodeAt(i + 1)))
        return { end: -1, failedAt: i + 1 };
      i++;
    }
  }
  return { end: -1, failedAt: text.length };
}

/**
 * `text` with every comment (and, with `literals`, every string and character literal) passed
 * through `replace`, leftmost first, as `text.replace(regex, replace)` with the alternation
 * comment | line comment | string | character would.
 */
export function replaceNonCode(
  text: string,
  options: NonCodeOptions,
  replace: (match: string) => string,
): string {
  const parts: string[] = [];
  let copied = 0;
  // No `*/` at or after this offset: a `/*` from here on never closes.
  let noCloseFrom = Infinity;
  // A literal scan from before these offsets failed there; a start inside fails the same way
  // (a quote inside a failed literal is escaped, so the scan from it is the same scan).
  let stringFailsBefore = -1;
  let charFailsBefore = -1;
  const take = (start: number, end: number): void => {
    parts.push(text.slice(copied, start), replace(text.slice(start, end)));
    copied = end;
  };
  for (let i = 0; i < text.length;) {
    const char = text.charCodeAt(i);
    if (char === SLASH) {
      const next = text.charCodeAt(i + 1);
      if (next === STAR && i + 2 < noCloseFrom) {
        const close = text.indexOf("*/", i + 2);
        if (close >= 0) {
          take(i, close + 2);
          i = close + 2;
          continue;
        }
        noCloseFrom = i + 2;
      } else if (next === SLASH) {
        const newline = text.indexOf("\n", i + 2);
        const end = newline < 0 ? text.length : newline;
        take(i, end);
        i = end;
        continue;
      }
    } else if (options.literals && (char === QUOTE || char === APOSTROPHE)) {
      const failsBefore = char === QUOTE ? stringFailsBefore : charFailsBefore;
      if (i >= failsBefore) {
        const { end, failedAt } = literalEnd(text, i, char);
        if (end >= 0) {
          take(i, end);
          i = end;
          continue;
        }
        if (char === QUOTE) stringFailsBefore = failedAt;
        else charFailsBefore = failedAt;
      }
    }
    i++;
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}

// The replacements are made once: a new function at each call would make the optimised code of
// replaceNonCode() start over.
const SPACE = (): string => " ";

/** Comments replaced by a space, as `text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*\/g, " ")`. */
export function stripComments(text: string): string {
  return text.includes("/") ? replaceNonCode(text, { literals: false }, SPACE) : text;
}

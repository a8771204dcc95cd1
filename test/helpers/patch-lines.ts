/** Old-side line numbers each file's hunks remove, read from a `git format-patch` text. */
export function removedLines(patch: string): Map<string, Set<number>> {
  const removed = new Map<string, Set<number>>();
  let file = "";
  let line = 0;
  for (const text of patch.split("\n")) {
    if (text === "-- ") break;
    const header = /^@@ -(\d+)/.exec(text);
    if (text.startsWith("--- a/")) file = text.slice(6);
    else if (header !== null) line = Number(header[1]);
    else if (text.startsWith("-") && !text.startsWith("---")) {
      const set = removed.get(file) ?? new Set<number>();
      set.add(line++);
      removed.set(file, set);
    } else if (text.startsWith(" ")) line++;
  }
  return removed;
}

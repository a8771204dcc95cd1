/**
 * `git format-patch` output for one change: mail header, body, diffstat, unified diff with
 * a/ b/ paths and blob ids, signature. Pure; the texts are latin1 strings (one char per byte),
 * so the patch is written back byte for byte.
 */
import { createHash } from "node:crypto";
import type { FileChange } from "./plan.js";

const CONTEXT = 3;

export interface PatchHeader {
  /** `Name <address>`. */
  from: string;
  date: Date;
  subject: string;
  body: string;
  /** Text after the `-- ` signature line (git puts its version there). */
  signature: string;
}

interface Hunk {
  oldStart: number;
  oldLines: string[];
  newLines: string[];
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * The changed line spans between two texts: Myers' O(ND) diff over the lines between the
 * common prefix and suffix (edits are few, so D is small).
 */
function changedRegions(before: string[], after: string[]): Hunk[] {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  )
    suffix++;
  const a = before.slice(prefix, before.length - suffix);
  const b = after.slice(prefix, after.length - suffix);
  const n = a.length;
  const m = b.length;
  const offset = n + m + 1;
  const v = new Array<number>(2 * offset + 1).fill(0);
  const trace: number[][] = [];
  search: for (let d = 0; d <= n + m; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
      let x = down ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) break search;
    }
  }
  // Back through the trace: which lines are kept, removed, added.
  const ops: ("=" | "-" | "+")[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const previous = trace[d] as number[];
    const k = x - y;
    const down =
      k === -d || (k !== d && (previous[offset + k - 1] as number) < (previous[offset + k + 1] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = previous[offset + prevK] as number;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("=");
      x--;
      y--;
    }
    ops.push(down ? "+" : "-");
    if (down) y--;
    else x--;
  }
  while (x > 0 && y > 0) {
    ops.push("=");
    x--;
    y--;
  }
  ops.reverse();
  const regions: Hunk[] = [];
  let i = 0;
  let j = 0;
  let current: Hunk | undefined;
  for (const op of ops) {
    if (op === "=") {
      current = undefined;
      i++;
      j++;
      continue;
    }
    if (current === undefined) {
      current = { oldStart: prefix + i, oldLines: [], newLines: [] };
      regions.push(current);
    }
    if (op === "-") current.oldLines.push(a[i++] as string);
    else current.newLines.push(b[j++] as string);
  }
  return regions;
}

/** git's default hunk header context: the last line before the hunk starting with a letter, _ or $. */
function funcname(lines: string[], before: number): string {
  for (let k = before - 1; k >= 0; k--) {
    const line = lines[k] as string;
    if (/^[A-Za-z_$]/.test(line)) return ` ${line.replace(/\s+$/, "").slice(0, 80)}`;
  }
  return "";
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** Unified diff of one file, and its added/removed line counts. */
export function fileDiff(change: FileChange): { text: string; added: number; removed: number } {
  const before = splitLines(change.before);
  const after = splitLines(change.after);
  const regions = changedRegions(before, after);
  let added = 0;
  let removed = 0;
  const out: string[] = [
    `diff --git a/${change.path} b/${change.path}`,
    `index ${blobId(change.before).slice(0, 12)}..${blobId(change.after).slice(0, 12)} 100644`,
    `--- a/${change.path}`,
    `+++ b/${change.path}`,
  ];
  // Group regions whose contexts touch into one hunk, as git does.
  let index = 0;
  while (index < regions.length) {
    let last = index;
    while (
      last + 1 < regions.length &&
      (regions[last + 1] as Hunk).oldStart -
        ((regions[last] as Hunk).oldStart + (regions[last] as Hunk).oldLines.length) <=
        2 * CONTEXT
    )
      last++;
    const first = regions[index] as Hunk;
    const end = regions[last] as Hunk;
    const oldFrom = Math.max(0, first.oldStart - CONTEXT);
    const oldTo = Math.min(before.length, end.oldStart + end.oldLines.length + CONTEXT);
    const body: string[] = [];
    let cursor = oldFrom;
    for (let k = index; k <= last; k++) {
      const region = regions[k] as Hunk;
      for (; cursor < region.oldStart; cursor++) body.push(` ${before[cursor]}`);
      body.push(...region.oldLines.map((line) => `-${line}`));
      body.push(...region.newLines.map((line) => `+${line}`));
      removed += region.oldLines.length;
      added += region.newLines.length;
      cursor = region.oldStart + region.oldLines.length;
    }
    for (; cursor < oldTo; cursor++) body.push(` ${before[cursor]}`);
    const newCount = body.filter((line) => !line.startsWith("-")).length;
    const oldCount = oldTo - oldFrom;
    // New-side start: old start shifted by what the earlier hunks added or removed.
    const shift = regions
      .slice(0, index)
      .reduce((sum, region) => sum + region.newLines.length - region.oldLines.length, 0);
    const oldStart = oldCount === 0 ? oldFrom : oldFrom + 1;
    const newStart = newCount === 0 ? oldFrom + shift : oldFrom + shift + 1;
    // A last line without a newline is marked on the side(s) it ends.
    const marks = new Set<number>();
    const lastOf = (sign: string): number =>
      body.findLastIndex((line) => line[0] === " " || line[0] === sign);
    if (oldTo === before.length && before.length > 0 && !change.before.endsWith("\n")) marks.add(lastOf("-"));
    if (newStart - 1 + newCount === after.length && after.length > 0 && !change.after.endsWith("\n"))
      marks.add(lastOf("+"));
    for (const at of [...marks].sort((a, b) => b - a)) body.splice(at + 1, 0, "\\ No newline at end of file");
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@${funcname(before, oldFrom)}`);
    out.push(...body);
    index = last + 1;
  }
  return { text: `${out.join("\n")}\n`, added, removed };
}

/** git's blob id: sha1 of `blob <size>\0<bytes>`. */
export function blobId(latin1: string): string {
  const bytes = Buffer.from(latin1, "latin1");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** `Mon, 23 Nov 2026 19:50:33 +0000`, as git writes dates in mail headers. */
export function rfc2822(date: Date): string {
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/** Diffstat lines as `git format-patch --stat` prints them (no graph scaling below 50 changes). */
function diffstat(files: { path: string; added: number; removed: number }[]): string {
  const width = Math.max(...files.map((file) => file.path.length));
  const countWidth = Math.max(...files.map((file) => String(file.added + file.removed).length));
  const lines = files.map((file) => {
    const total = file.added + file.removed;
    const scale = total > 50 ? 50 / total : 1;
    const plus = "+".repeat(Math.round(file.added * scale));
    const minus = "-".repeat(Math.round(file.removed * scale));
    return ` ${file.path.padEnd(width)} | ${String(total).padStart(countWidth)} ${plus}${minus}`;
  });
  const added = files.reduce((sum, file) => sum + file.added, 0);
  const removed = files.reduce((sum, file) => sum + file.removed, 0);
  const parts = [`${files.length} file${files.length === 1 ? "" : "s"} changed`];
  if (added > 0) parts.push(`${added} insertion${added === 1 ? "" : "s"}(+)`);
  if (removed > 0) parts.push(`${removed} deletion${removed === 1 ? "" : "s"}(-)`);
  return `${lines.join("\n")}\n ${parts.join(", ")}\n`;
}

/** Folds a header line longer than 78 columns at spaces, as git does for long subjects. */
function foldHeader(line: string): string {
  const words = line.split(" ");
  const out: string[] = [];
  let current = "";
  for (const word of words) {
    if (current !== "" && current.length + 1 + word.length > 77) {
      out.push(current);
      current = word;
    } else {
      current = current === "" ? word : `${current} ${word}`;
    }
  }
  out.push(current);
  return out.join("\n ");
}

export function formatPatch(header: PatchHeader, changes: readonly FileChange[]): string {
  const diffs = [...changes]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((change) => ({ change, ...fileDiff(change) }));
  const stat = diffstat(diffs.map(({ change, added, removed }) => ({ path: change.path, added, removed })));
  const message = `${header.body.trimEnd()}\n`;
  const eightBit = /[\u0080-\uffff]/.test(
    header.from + header.subject + message + diffs.map((d) => d.text).join(""),
  );
  const mime = eightBit
    ? "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
    : "";
  return (
    `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n` +
    `From: ${header.from}\n` +
    `Date: ${rfc2822(header.date)}\n` +
    `${foldHeader(`Subject: [PATCH] ${header.subject}`)}\n` +
    mime +
    `\n${message}---\n${stat}\n` +
    diffs.map((diff) => diff.text).join("") +
    `-- \n${header.signature}\n\n`
  );
}

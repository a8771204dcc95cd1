/**
 * The scan index: what the last audit of a tree on disk learnt, by file metadata, so that an
 * audit of an unchanged tree reads nothing again (git's index does the same for `git status`).
 *
 * For each file: its size, modification and change times and inode, with its text class. For
 * each unit the audit dealt with: its files, and what came of them: the facts cache keys of the
 * files it parsed (the facts stay in the content-keyed cache), or its lexical reading. A unit is
 * taken from the index only when every one of its files has the metadata recorded; anything else
 * is read and dealt with as if there were no index, and recorded again.
 *
 * A file modified within the last seconds before the scan is not recorded: a later change in the
 * same timestamp tick would go unseen. The index lives in the cache directory, one file per tree
 * root, written to a temporary file and renamed: concurrent audits never see half an index, and
 * one that fails any check is ignored and rewritten.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TOOL_VERSION } from "../version.js";
import { extractorDigest, FACTS_FORMAT } from "./cache.js";
import type { FileStat } from "./source.js";

/** A text class as the index stores it: catalog, msi and pci as bits 1, 2 and 4. */
export interface IndexedClass {
  pci: boolean;
  catalog: boolean;
  msi: boolean;
}

/** What came of a unit: the files parsed and their facts cache keys, or a lexical reading. */
export type UnitOutcome =
  { parsed: [path: string, key: string][] } | { lexical: { callsCatalog: boolean; drivers: string[] } };

interface IndexFile {
  format: string;
  files: Record<string, [size: number, mtimeMs: number, ctimeMs: number, ino: number, bits: number]>;
  units: Record<string, { sources: string[]; outcome: UnitOutcome }>;
}

/** Files modified this recently before the scan are not recorded (timestamp granularity). */
const RACY_MS = 3000;

export class ScanIndex {
  private readonly next: IndexFile;
  private readonly unchanged = new Set<string>();

  private constructor(
    private readonly file: string,
    private readonly previous: IndexFile,
    private readonly scanStarted: number,
  ) {
    this.next = { format: previous.format, files: {}, units: {} };
  }

  /** The index of the tree at `root` in the cache directory; empty when missing or unusable. */
  static open(cacheDir: string, root: string, now = Date.now()): ScanIndex {
    const format = `${FACTS_FORMAT} ${TOOL_VERSION} ${extractorDigest()}`;
    const name = createHash("sha256").update(root).digest("hex").slice(0, 32);
    const file = join(cacheDir, "index", `${name}.json`);
    let previous: IndexFile = { format, files: {}, units: {} };
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as IndexFile;
      if (
        parsed.format === format &&
        typeof parsed.files === "object" &&
        parsed.files !== null &&
        typeof parsed.units === "object" &&
        parsed.units !== null
      ) {
        previous = parsed;
      }
    } catch {
      // Missing, unreadable or corrupt: start afresh.
    }
    return new ScanIndex(file, previous, now);
  }

  /** Whether the last audit recorded nothing (there was none, or its index was unusable). */
  isEmpty(): boolean {
    return Object.keys(this.previous.files).length === 0;
  }

  /** Whether the last audit recorded the file: if not, there is no point in asking for its metadata. */
  knows(path: string): boolean {
    return Object.hasOwn(this.previous.files, path);
  }

  /** The recorded class of a file whose metadata has not changed; undefined otherwise. */
  lookup(path: string, stat: FileStat): IndexedClass | undefined {
    const entry = Object.hasOwn(this.previous.files, path) ? this.previous.files[path] : undefined;
    if (
      !Array.isArray(entry) ||
      entry[0] !== stat.size ||
      entry[1] !== stat.mtimeMs ||
      entry[2] !== stat.ctimeMs ||
      entry[3] !== stat.ino ||
      typeof entry[4] !== "number"
    ) {
      return undefined;
    }
    this.unchanged.add(path);
    this.next.files[path] = entry;
    const bits = entry[4];
    return { catalog: (bits & 1) !== 0, msi: (bits & 2) !== 0, pci: (bits & 4) !== 0 };
  }

  /** Records a file read in this scan. */
  record(path: string, stat: FileStat, textClass: IndexedClass): void {
    if (stat.mtimeMs > this.scanStarted - RACY_MS) return;
    const bits = (textClass.catalog ? 1 : 0) | (textClass.msi ? 2 : 0) | (textClass.pci ? 4 : 0);
    this.next.files[path] = [stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, bits];
  }

  /** What came of a unit last time, when none of its files has changed since. */
  unit(name: string, sources: readonly string[]): UnitOutcome | undefined {
    const entry = Object.hasOwn(this.previous.units, name) ? this.previous.units[name] : undefined;
    if (
      entry === undefined ||
      !Array.isArray(entry.sources) ||
      entry.sources.length !== sources.length ||
      entry.sources.some((source, index) => source !== sources[index] || !this.unchanged.has(source))
    ) {
      return undefined;
    }
    return entry.outcome;
  }

  /** Records what came of a unit; only units whose files are all recorded can be found again. */
  recordUnit(name: string, sources: readonly string[], outcome: UnitOutcome): void {
    if (sources.every((source) => Object.hasOwn(this.next.files, source))) {
      this.next.units[name] = { sources: [...sources], outcome };
    }
  }

  /** Writes the index for the next audit; a failure only costs that audit its shortcut. */
  save(): void {
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(join(this.file, ".."), { recursive: true });
      writeFileSync(temporary, JSON.stringify(this.next));
      renameSync(temporary, this.file);
    } catch {
      rmSync(temporary, { force: true });
    }
  }
}

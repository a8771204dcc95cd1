/**
 * Where the tree's files come from: the working tree on disk, or a git revision (PR mode reads
 * the base from git). Paths are relative to the root, with `/`. Nothing here ever leaves the
 * root: symbolic links are not followed out of it, and git reads only its own objects.
 */
import { execFile } from "node:child_process";
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
  type Dirent,
  type Stats,
} from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface SourceFile {
  path: string;
  size: number;
}

export interface TreeSource {
  /** Shown in reports and messages. */
  readonly root: string;
  /** Every regular file under `dir` (recursively), sorted by path. */
  list(dir: string): Promise<SourceFile[]>;
  /** The file's bytes, or undefined when it does not exist (or is not a regular file). */
  read(path: string): Promise<Buffer | undefined>;
  /**
   * The file's path on disk when it may be read there (a regular file inside the root), so that
   * a worker thread can read it; undefined when it must not be read. Sources without one are
   * read only through read().
   */
  localPath?(path: string): string | undefined;
  /** The file's metadata, for the scan index; sources without it are read every time. */
  stat?(path: string): FileStat | undefined;
}

/** What tells that a file on disk has changed without reading it. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** Thrown for input the user must fix: the message names the input. */
export class InputError extends Error {}

export function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

/**
 * Files on disk under `root`. Links that resolve outside the root are never read, and links to
 * directories are not entered unless named as the path to list. The walk and
 * the reads are synchronous underneath: for tens of thousands of small files that is several
 * times faster than the thread-pool round trips of fs/promises.
 */
export class FsSource implements TreeSource {
  private constructor(
    readonly root: string,
    private readonly realRoot: string,
  ) {}

  static async open(root: string): Promise<FsSource> {
    let real: string;
    try {
      real = await realpath(root);
      if (!(await stat(real)).isDirectory()) throw new Error("not a directory");
    } catch {
      throw new InputError(`--root ${root}: no such directory`);
    }
    return new FsSource(root, real);
  }

  async list(dir: string): Promise<SourceFile[]> {
    const files: SourceFile[] = [];
    const walk = (relativeDir: string, viaLink = false): void => {
      let entries: Dirent[];
      try {
        entries = readdirSync(join(this.realRoot, relativeDir), { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const child = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
        if (entry.isDirectory()) {
          walk(child);
        } else if (entry.isFile()) {
          files.push({ path: child, size: 0 });
          if (!viaLink) this.plainFiles.add(child);
        } else if (entry.isSymbolicLink()) {
          const target = this.resolveInside(child);
          if (target === undefined) continue;
          // A link to a file inside the root is read; a link to a directory is not entered
          // (as git and grep -r do): the directory is listed where it really is, once.
          const info = statSafe(target);
          if (info?.isFile()) files.push({ path: child, size: info.size });
        }
      }
    };
    const start = normaliseRelative(dir);
    if (start === undefined) return [];
    const info = statSafe(join(this.realRoot, start));
    const real = info?.isDirectory() === true ? this.resolveInside(start) : undefined;
    if (real !== undefined) walk(start, real !== join(this.realRoot, start));
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return files;
  }

  private readonly dirsInside = new Map<string, boolean>();
  /** Regular files that list() reached through real directories only. */
  private readonly plainFiles = new Set<string>();

  /** Whether a directory (after links) is inside the root; remembered per directory. */
  private dirInside(dir: string): boolean {
    let inside = this.dirsInside.get(dir);
    if (inside === undefined) {
      inside = this.resolveInside(dir) !== undefined;
      this.dirsInside.set(dir, inside);
    }
    return inside;
  }

  /** The real path of a root-relative path when it stays inside the root, else undefined. */
  private resolveInside(path: string): string | undefined {
    try {
      const real = realpathSync.native(join(this.realRoot, path));
      return isInside(this.realRoot, real) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  async read(path: string): Promise<Buffer | undefined> {
    const file = this.fileOf(path);
    return file === undefined ? undefined : readFileSync(file);
  }

  localPath(path: string): string | undefined {
    return this.fileOf(path);
  }

  stat(path: string): FileStat | undefined {
    const file = this.fileOf(path);
    const info = file === undefined ? undefined : statSafe(file);
    return info === undefined
      ? undefined
      : { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
  }

  /** The absolute path to read for a root-relative path, or undefined when it must not be read. */
  private fileOf(path: string): string | undefined {
    const relativePath = normaliseRelative(path);
    if (relativePath === undefined) return undefined;
    const absolute = join(this.realRoot, relativePath);
    // A regular file the walk reached without links is read directly; anything else is resolved.
    if (this.plainFiles.has(relativePath)) return absolute;
    const entry = lstatSafe(absolute);
    if (entry === undefined) return undefined;
    if (entry.isSymbolicLink() || !entry.isFile()) {
      const real = this.resolveInside(relativePath);
      if (real === undefined || !statSafe(real)?.isFile()) return undefined;
      return real;
    }
    if (!this.dirInside(dirOf(relativePath))) return undefined;
    return absolute;
  }
}

/**
 * One buffer that files are read into: a scan that keeps nothing allocates nothing. Files read
 * since the last clear() sit back to back, so a module's files can be read one by one and used
 * together.
 */
export class ScratchBuffer {
  private buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;

  /** Forgets the files read so far: their bytes are overwritten by the next ones. */
  clear(): void {
    this.used = 0;
  }

  /**
   * Reads a file after those read since clear(): where its bytes are (bytes() gives them) and
   * its metadata. Throws as readFileSync() does.
   */
  append(file: string): { start: number; end: number; stat: FileStat } {
    const start = this.used;
    const fd = openSync(file, "r");
    try {
      const info = fstatSync(fd);
      const stat = { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
      for (;;) {
        if (this.used === this.buffer.length) {
          const larger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(larger, 0, 0, this.used);
          this.buffer = larger;
        }
        const count = readSync(fd, this.buffer, this.used, this.buffer.length - this.used, null);
        if (count === 0) return { start, end: this.used, stat };
        this.used += count;
      }
    } catch (error) {
      // A file that fails halfway (a directory, an I/O error) leaves nothing behind.
      this.used = start;
      throw error;
    } finally {
      closeSync(fd);
    }
  }

  /** Bytes read since clear(), valid until the next append() or clear(). */
  bytes(start: number, end: number): Buffer {
    return this.buffer.subarray(start, end);
  }
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** `a/./b/` → `a/b`; undefined when the path climbs out of the root or is absolute. */
function normaliseRelative(path: string): string | undefined {
  if (path.startsWith("/")) return undefined;
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

function statSafe(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatSafe(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Files of one git revision, read from the object store (`git ls-tree`, `git cat-file`). */
export class GitSource implements TreeSource {
  private listing: Map<string, { blob: string; size: number }> | undefined;

  constructor(
    readonly root: string,
    readonly revision: string,
  ) {}

  private async git(args: string[], maxBuffer = 1 << 30): Promise<Buffer> {
    const { stdout } = await execFileAsync("git", ["-C", this.root, ...args], {
      encoding: "buffer",
      maxBuffer,
    });
    return stdout;
  }

  private async entries(): Promise<Map<string, { blob: string; size: number }>> {
    if (this.listing === undefined) {
      const out = await this.git(["ls-tree", "-r", "-z", "--long", "--full-tree", this.revision]);
      const listing = new Map<string, { blob: string; size: number }>();
      for (const record of out.toString("utf8").split("\0")) {
        // <mode> SP <type> SP <object> SP+ <size> TAB <path>
        const match = /^(\d+) (\w+) ([0-9a-f]+) +(\S+)\t(.*)$/s.exec(record);
        if (match === null || match[2] !== "blob" || match[1] === "120000") continue;
        listing.set(match[5] as string, { blob: match[3] as string, size: Number(match[4]) });
      }
      this.listing = listing;
    }
    return this.listing;
  }

  async list(dir: string): Promise<SourceFile[]> {
    const prefix = dir === "" || dir === "." ? "" : `${dir.replace(/\/+$/, "")}/`;
    const files: SourceFile[] = [];
    for (const [path, entry] of await this.entries()) {
      if (path.startsWith(prefix)) files.push({ path, size: entry.size });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<Buffer | undefined> {
    const entry = (await this.entries()).get(path);
    if (entry === undefined) return undefined;
    return this.git(["cat-file", "blob", entry.blob]);
  }
}

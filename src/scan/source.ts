/**
 * Where the tree's files come from: the working tree on disk, or a git revision (PR mode reads
 * the base from git). Paths are relative to the root, with `/`. Nothing here ever leaves the
 * root: symbolic links are not followed out of it, and git reads only its own objects.
 */
import { execFile } from "node:child_process";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
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

/** Files on disk under `root`. Links that resolve outside the root are never read. */
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
    const start = join(this.realRoot, dir);
    const files: SourceFile[] = [];
    const seen = new Set<string>();
    const walk = async (absolute: string): Promise<void> => {
      let real: string;
      try {
        real = await realpath(absolute);
      } catch {
        return;
      }
      if (!isInside(this.realRoot, real) || seen.has(real)) return;
      seen.add(real);
      let entries;
      try {
        entries = await readdir(absolute, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const child = join(absolute, entry.name);
        if (entry.isDirectory()) {
          await walk(child);
        } else if (entry.isFile()) {
          files.push({ path: toPosix(relative(this.realRoot, child)), size: 0 });
        } else if (entry.isSymbolicLink()) {
          const target = await realpath(child).catch(() => undefined);
          if (target === undefined || !isInside(this.realRoot, target)) continue;
          const info = await stat(target).catch(() => undefined);
          if (info?.isDirectory()) await walk(child);
          else if (info?.isFile())
            files.push({ path: toPosix(relative(this.realRoot, child)), size: info.size });
        }
      }
    };
    await walk(start);
    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return files;
  }

  async read(path: string): Promise<Buffer | undefined> {
    const absolute = join(this.realRoot, path);
    const real = await realpath(absolute).catch(() => undefined);
    if (real === undefined || !isInside(this.realRoot, real)) return undefined;
    const info = await lstat(real).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return readFile(real);
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

/**
 * A git revision read through one `git cat-file --batch` process instead of one process per
 * file. PR mode reads every Makefile under `paths` at the base (about 2,900 under drivers/ in
 * 6.12): one spawn each costs ~10 ms, which made the base side of a check take tens of seconds.
 * Listing and the set of readable files are GitSource's (symbolic links are never read).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { GitSource, type SourceFile, type TreeSource } from "../scan/source.js";

interface Pending {
  resolve(data: Buffer | undefined): void;
  reject(error: Error): void;
}

export class BatchedGitSource implements TreeSource {
  private readonly listing: GitSource;
  private readable: Promise<Set<string>> | undefined;
  private process: ChildProcessWithoutNullStreams | undefined;
  private readonly pending: Pending[] = [];
  private buffered = Buffer.alloc(0);
  /** Output not yet joined to `buffered`, and its length: a large blob arrives in many chunks. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes `buffered` must hold before the next answer can be read. */
  private needed = 1;
  private failure: Error | undefined;

  constructor(
    readonly root: string,
    readonly revision: string,
  ) {
    this.listing = new GitSource(root, revision);
  }

  list(dir: string): Promise<SourceFile[]> {
    return this.listing.list(dir);
  }

  async read(path: string): Promise<Buffer | undefined> {
    this.readable ??= this.listing.list("").then((files) => new Set(files.map((file) => file.path)));
    if (!(await this.readable).has(path)) return undefined;
    // The batch protocol is line-based: a name with a newline goes through a process of its own.
    if (path.includes("\n")) return this.listing.read(path);
    return this.request(`${this.revision}:${path}`);
  }

  /** Ends the git process; reads after this start a new one. */
  close(): void {
    this.process?.stdin.end();
    this.process = undefined;
  }

  private request(object: string): Promise<Buffer | undefined> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const child = this.process ?? this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin.write(`${object}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn("git", ["-C", this.root, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    this.process = child;
    this.buffered = Buffer.alloc(0);
    this.chunks = [];
    this.chunkBytes = 0;
    this.needed = 1;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.stdout.on("data", (chunk: Buffer) => {
      // Joining every chunk as it comes would copy a 50 MB blob hundreds of times over.
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      if (this.buffered.length + this.chunkBytes < this.needed) return;
      this.buffered = Buffer.concat([this.buffered, ...this.chunks]);
      this.chunks = [];
      this.chunkBytes = 0;
      this.drain();
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const waiting of this.pending.splice(0)) waiting.reject(error);
    };
    child.on("error", fail);
    child.on("close", (code) => {
      if (this.pending.length > 0)
        fail(new Error(`git cat-file --batch in ${this.root} exited (${code}): ${stderr.trim()}`));
    });
    return child;
  }

  /** Answers are in request order: `<oid> <type> <size>\n<content>\n`, or `<name> missing\n`. */
  private drain(): void {
    this.needed = 1;
    for (;;) {
      const newline = this.buffered.indexOf(10);
      if (newline < 0) {
        this.needed = this.buffered.length + 1;
        return;
      }
      const header = this.buffered.subarray(0, newline).toString("utf8");
      const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (match === null) {
        // `missing`, `ambiguous`: no content follows.
        this.buffered = this.buffered.subarray(newline + 1);
        this.pending.shift()?.resolve(undefined);
        continue;
      }
      const size = Number(match[2]);
      if (this.buffered.length < newline + 1 + size + 1) {
        this.needed = newline + 1 + size + 1;
        return;
      }
      const content = Buffer.from(this.buffered.subarray(newline + 1, newline + 1 + size));
      this.buffered = this.buffered.subarray(newline + 1 + size + 1);
      this.pending.shift()?.resolve(match[1] === "blob" ? content : undefined);
    }
  }
}

/**
 * The facts cache: FileFacts by file content, so an unchanged file is never parsed twice.
 *
 * Key: sha256 of the content, prefixed by the facts format, the tool version and a digest of the
 * extraction code (so a changed extractor never serves stale facts, even without a version bump).
 * Entry: `<dir>/<2 hex>/<key>.json`, a header line `msi-ownership-facts <format> <key> <sha256 of
 * body>` then the facts as JSON without their path (the same content may live at several paths).
 * Writes go to a temporary file renamed into place, so concurrent runs never see half an entry;
 * an entry that fails any check is a miss (and is rewritten by the next set()).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import type { FileFacts } from "../parse/facts.js";
import { TOOL_VERSION } from "../version.js";

/** Bump when FileFacts changes shape. */
export const FACTS_FORMAT = 1;

const HEADER = "msi-ownership-facts";

/** `$XDG_CACHE_HOME/msi-ownership/facts`, else `~/.cache/msi-ownership/facts`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== ""
      ? env.XDG_CACHE_HOME
      : join(homedir(), ".cache");
  return join(base, "msi-ownership", "facts");
}

/** The cache key of a file's content. */
export function contentHash(source: Uint8Array): string {
  return createHash("sha256").update(keyPrefix()).update(source).digest("hex");
}

let prefix: string | undefined;

function keyPrefix(): string {
  prefix ??= `${HEADER} ${FACTS_FORMAT} ${TOOL_VERSION} ${extractorDigest()}\0`;
  return prefix;
}

/** Set by scripts/build.mjs (esbuild `define`) to the digest of the bundled extraction sources. */
declare const MSI_OWNERSHIP_EXTRACTOR_DIGEST: string | undefined;

/**
 * What the facts depend on besides the content: the extraction code (src/parse/) and the
 * catalog it tags calls with. Bundles carry the digest computed at build time; unbundled (tsx),
 * it is computed from the sources next to this file.
 */
export function extractorDigest(): string {
  if (typeof MSI_OWNERSHIP_EXTRACTOR_DIGEST !== "undefined") {
    return MSI_OWNERSHIP_EXTRACTOR_DIGEST;
  }
  const src = new URL("../", import.meta.url);
  const parseDir = new URL("parse/", src);
  const files = [
    ...readdirSync(parseDir)
      .filter((name) => name.endsWith(".ts"))
      .sort()
      .map((name) => new URL(name, parseDir)),
    new URL("catalog.ts", src),
    // The scan index keeps text classes and lexical readings: the code they come from.
    new URL("scan/classify.ts", src),
    new URL("scan/lexical.ts", src),
    new URL("scan/prepare.ts", src),
  ];
  const hash = createHash("sha256");
  for (const file of files) {
    hash
      .update(file.pathname.slice(src.pathname.length))
      .update("\0")
      .update(readFileSync(file))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries found but unusable (truncated, corrupt, another format): counted as misses too. */
  corrupt: number;
  writes: number;
}

export interface CacheOptions {
  /** Told once when the cache cannot be written (the audit goes on without storing). */
  onWarning?: (message: string) => void;
}

export class FactsCache {
  readonly stats: CacheStats = { hits: 0, misses: 0, corrupt: 0, writes: 0 };
  private writable = true;
  /** Entry directories known to exist. */
  private readonly shards = new Set<string>();

  private constructor(
    /** The cache directory, or undefined when the cache is off. */
    readonly dir: string | undefined,
    private readonly onWarning: (message: string) => void,
  ) {}

  /** `false` turns the cache off (`--no-cache`): every get() misses, set() stores nothing. */
  static open(dir: string | false, options: CacheOptions = {}): FactsCache {
    const warn =
      options.onWarning ?? ((message) => process.stderr.write(`msi-ownership: warning: ${message}\n`));
    return new FactsCache(dir === false ? undefined : dir, warn);
  }

  get enabled(): boolean {
    return this.dir !== undefined;
  }

  /** The facts stored for `hash`, given the path of the file at hand; undefined on a miss. */
  get(hash: string, path: string): FileFacts | undefined {
    if (this.dir === undefined) {
      this.stats.misses += 1;
      return undefined;
    }
    const file = this.entryPath(hash);
    let entry: Buffer;
    try {
      entry = readFileSync(file);
    } catch {
      this.stats.misses += 1;
      return undefined;
    }
    const facts = decodeEntry(hash, entry);
    if (facts === undefined) {
      this.stats.corrupt += 1;
      this.stats.misses += 1;
      return undefined;
    }
    this.stats.hits += 1;
    return { path, ...facts };
  }

  set(hash: string, facts: FileFacts): void {
    if (this.dir === undefined || !this.writable) {
      return;
    }
    const file = this.entryPath(hash);
    const temporary = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      const shard = join(this.dir, hash.slice(0, 2));
      if (!this.shards.has(shard)) {
        mkdirSync(shard, { recursive: true });
        this.shards.add(shard);
      }
      writeFileSync(temporary, encodeEntry(hash, facts));
      renameSync(temporary, file);
      this.stats.writes += 1;
    } catch (error) {
      removeQuietly(temporary);
      this.writable = false;
      this.onWarning(
        `cannot write the facts cache in ${this.dir} (${(error as Error).message}); going on without it`,
      );
    }
  }

  private entryPath(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) {
      throw new Error(`not a cache key: ${JSON.stringify(hash)}`);
    }
    return join(this.dir as string, hash.slice(0, 2), `${hash}.json`);
  }
}

export function encodeEntry(hash: string, facts: FileFacts): Buffer {
  const { path: _path, ...rest } = facts;
  const body = Buffer.from(JSON.stringify(rest), "utf8");
  return Buffer.concat([Buffer.from(`${HEADER} ${FACTS_FORMAT} ${hash} ${sha256(body)}\n`), body]);
}

/** The facts of an entry, or undefined unless every check passes. */
export function decodeEntry(hash: string, entry: Buffer): Omit<FileFacts, "path"> | undefined {
  const newline = entry.indexOf(0x0a);
  if (newline < 0) {
    return undefined;
  }
  const [header, format, key, bodyHash] = entry.subarray(0, newline).toString("latin1").split(" ");
  const body = entry.subarray(newline + 1);
  if (header !== HEADER || format !== String(FACTS_FORMAT) || key !== hash || bodyHash !== sha256(body)) {
    return undefined;
  }
  try {
    const facts = JSON.parse(body.toString("utf8")) as Omit<FileFacts, "path">;
    return typeof facts === "object" &&
      facts !== null &&
      Array.isArray(facts.functions) &&
      Array.isArray(facts.calls)
      ? facts
      : undefined;
  } catch {
    return undefined;
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing was written there (the directory itself is unusable).
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

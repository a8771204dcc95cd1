import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { readyParser } from "../src/parse/backend.js";
import { parseFacts } from "../src/parse/parser.js";
import {
  contentHash,
  decodeEntry,
  defaultCacheDir,
  encodeEntry,
  extractorDigest,
  FactsCache,
} from "../src/scan/cache.js";

const execFileAsync = promisify(execFile);
const fixturePath = "pool/managed-vectors-in-probe.c";
const source = readFileSync(new URL(`./fixtures/${fixturePath}`, import.meta.url));
// parseFacts() runs in this thread: load the parser first (MSI_OWNERSHIP_PARSER chooses).
await readyParser();
const facts = parseFacts(fixturePath, source.toString("utf8"));
const hash = contentHash(source);

const scratch = mkdtempSync(join(tmpdir(), "msi-cache-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(scratch, `cache${++dirs}`);

function entryFile(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}.json`);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

describe("contentHash", () => {
  it("is a sha256 that follows the content only", () => {
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(contentHash(Buffer.from(source)), hash);
    assert.notEqual(contentHash(Buffer.concat([source, Buffer.from("\n")])), hash);
  });

  it("includes the extraction code's digest, which is stable", () => {
    assert.match(extractorDigest(), /^[0-9a-f]{16}$/);
    assert.equal(extractorDigest(), extractorDigest());
  });
});

describe("FactsCache", () => {
  it("misses, stores, then returns the facts under the path asked for", () => {
    const dir = freshDir();
    const cache = FactsCache.open(dir);
    assert.equal(cache.get(hash, fixturePath), undefined);
    cache.set(hash, facts);
    assert.ok(existsSync(entryFile(dir, hash)));
    // A new instance reads what the first one wrote (the next run).
    const next = FactsCache.open(dir);
    assert.deepEqual(next.get(hash, fixturePath), facts);
    // The same content elsewhere in the tree: same facts, its own path.
    assert.deepEqual(next.get(hash, "drivers/other/copy.c"), { ...facts, path: "drivers/other/copy.c" });
    assert.deepEqual(cache.stats, { hits: 0, misses: 1, corrupt: 0, writes: 1 });
    assert.deepEqual(next.stats, { hits: 2, misses: 0, corrupt: 0, writes: 0 });
  });

  const damages: Array<[string, (entry: string) => string]> = [
    ["truncated", (entry) => entry.slice(0, Math.floor(entry.length * 0.6))],
    ["cut after the header", (entry) => entry.slice(0, entry.indexOf("\n") + 1)],
    ["empty", () => ""],
    ["binary garbage", () => "\u0000\u0001\u00ff".repeat(50)],
    // Still valid JSON, but not what was written: only the body checksum can tell.
    [
      "a changed line number",
      (entry) => entry.replace(/"line":(\d+)/, (_, line) => `"line":${Number(line) + 1}`),
    ],
    ["another key's entry", (entry) => entry.replace(hash, "0".repeat(64))],
    ["another format", (entry) => entry.replace(/^msi-ownership-facts \d+/, "msi-ownership-facts 999")],
  ];
  for (const [name, damage] of damages) {
    it(`ignores an entry that is ${name}, and rewrites it`, () => {
      const dir = freshDir();
      FactsCache.open(dir).set(hash, facts);
      const file = entryFile(dir, hash);
      const damaged = damage(readFileSync(file, "utf8"));
      assert.notEqual(damaged, readFileSync(file, "utf8"));
      writeFileSync(file, damaged);

      const cache = FactsCache.open(dir);
      assert.equal(cache.get(hash, fixturePath), undefined);
      assert.equal(cache.stats.corrupt, 1);
      cache.set(hash, facts);
      assert.deepEqual(FactsCache.open(dir).get(hash, fixturePath), facts);
    });
  }

  it("stores nothing and finds nothing when disabled (--no-cache)", () => {
    const dir = freshDir();
    FactsCache.open(dir).set(hash, facts);
    const disabled = FactsCache.open(false);
    assert.equal(disabled.enabled, false);
    assert.equal(disabled.get(hash, fixturePath), undefined);
    disabled.set(contentHash(Buffer.from("other")), facts);
    assert.deepEqual(disabled.stats, { hits: 0, misses: 1, corrupt: 0, writes: 0 });
  });

  it("goes on without storing, with one warning, when the directory cannot be written", () => {
    const blocker = join(scratch, "a-file");
    writeFileSync(blocker, "not a directory");
    const warnings: string[] = [];
    const cache = FactsCache.open(join(blocker, "facts"), { onWarning: (message) => warnings.push(message) });
    cache.set(hash, facts);
    cache.set(contentHash(Buffer.from("other")), facts);
    assert.equal(cache.get(hash, fixturePath), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /cannot write the facts cache in .*a-file\/facts/);
  });

  it("rejects a key that is not a sha256 instead of reading outside the cache", () => {
    assert.throws(() => FactsCache.open(freshDir()).get("../../etc/passwd", "x.c"), /not a cache key/);
  });

  it("stays consistent with several processes writing and reading the same keys", async () => {
    const dir = freshDir();
    const writer = fileURLToPath(new URL("./helpers/cache-writer.ts", import.meta.url));
    const runs = await Promise.all(
      [1, 2, 3, 4].map((seed) =>
        execFileAsync(process.execPath, ["--import", "tsx", writer, dir, String(seed)], { encoding: "utf8" }),
      ),
    );
    for (const { stdout, stderr } of runs) {
      assert.equal(stderr, "");
      const seen = JSON.parse(stdout) as { wrong: number; corrupt: number; writes: number };
      assert.deepEqual(
        { wrong: seen.wrong, corrupt: seen.corrupt, writes: seen.writes },
        { wrong: 0, corrupt: 0, writes: 100 },
      );
    }
    const files = allFiles(dir);
    assert.equal(files.filter((name) => name.endsWith(".tmp")).length, 0, "no temporary file left behind");
    assert.equal(files.length, 100);
  });
});

describe("entries", () => {
  it("round-trip and keep the path out (the same content may sit at several paths)", () => {
    const entry = encodeEntry(hash, facts);
    assert.ok(!entry.includes(fixturePath));
    assert.deepEqual({ path: fixturePath, ...decodeEntry(hash, entry) }, facts);
    assert.equal(decodeEntry(hash, Buffer.concat([entry, Buffer.from(" ")])), undefined);
  });
});

describe("defaultCacheDir", () => {
  it("follows XDG_CACHE_HOME, else ~/.cache", () => {
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: "/x/cache" }), "/x/cache/msi-ownership/facts");
    assert.match(defaultCacheDir({}), /\/\.cache\/msi-ownership\/facts$/);
    assert.match(defaultCacheDir({ XDG_CACHE_HOME: "" }), /\/\.cache\/msi-ownership\/facts$/);
  });
});

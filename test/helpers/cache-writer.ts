/**
 * One of several processes hammering the same facts cache (test/cache.test.ts): writes and
 * reads the same keys as the others, then prints what it saw as JSON.
 *   node --import tsx test/helpers/cache-writer.ts DIR SEED
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { readyParser } from "../../src/parse/backend.js";
import { parseFacts } from "../../src/parse/parser.js";
import { contentHash, FactsCache } from "../../src/scan/cache.js";

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) {
  throw new Error("usage: cache-writer.ts DIR SEED");
}
const seed = Number(seedText);
// parseFacts() runs in this thread: load the parser first (MSI_OWNERSHIP_PARSER chooses).
await readyParser();
const path = "pool/managed-vectors-in-probe.c";
const source = readFileSync(new URL(`../fixtures/${path}`, import.meta.url));
const facts = parseFacts(path, source.toString("utf8"));
const expected = { ...facts, path: "x.c" };

const cache = FactsCache.open(dir, { onWarning: (message) => process.stderr.write(`${message}\n`) });
let wrong = 0;
// 100 contents, visited in a different order by each process, each written then read back.
for (let step = 0; step < 100; step++) {
  const variant = (step * 37 + seed * 11) % 100;
  const hash = contentHash(Buffer.concat([source, Buffer.from(`/* ${variant} */`)]));
  const before = cache.get(hash, "x.c");
  if (before !== undefined && !isDeepStrictEqual(before, expected)) wrong += 1;
  cache.set(hash, facts);
  const after = cache.get(hash, "x.c");
  if (after === undefined || !isDeepStrictEqual(after, expected)) wrong += 1;
}
process.stdout.write(`${JSON.stringify({ ...cache.stats, wrong })}\n`);

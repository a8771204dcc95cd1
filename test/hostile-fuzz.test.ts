/**
 * Fuzzing the parse and the model: thousands of random mutations of the pattern fixtures (bytes
 * flipped, lines dropped or repeated, tokens swapped, brackets, quotes and comment openers
 * dropped in, the file cut short). Seeded, so a failure names the case that reproduces it. No
 * mutant may crash or hang the pipeline, and each gives the same output twice.
 *
 * FUZZ_SEED and FUZZ_CASES override the defaults (a longer local run: FUZZ_CASES=50000).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { analyseModule } from "../src/model/ownership.js";
import { readyParser } from "../src/parse/backend.js";
import { replaceNonCode, stripComments } from "../src/parse/text.js";
import type { DriverReport } from "../src/report/types.js";
import { isParseFailure, parseOne } from "../src/scan/parse-worker.js";

// parseOne() runs in this thread: load the parser first (MSI_OWNERSHIP_PARSER chooses).
await readyParser();

const PATTERNS = new URL("fixtures/patterns/", import.meta.url).pathname;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const CASES = Number(process.env.FUZZ_CASES ?? 8000);
/** No single mutant may take longer than this (a hang shows up as a slow case). */
const SLOW_MS = 2000;

/** mulberry32: small, fast and the same on every platform. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtures = readdirSync(PATTERNS, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith(".c"))
  .sort()
  .map((file) => ({
    path: relative(PATTERNS, join(PATTERNS, file)),
    bytes: readFileSync(join(PATTERNS, file)),
  }));

const INSERTS = [
  "{",
  "}",
  "(",
  ")",
  '"',
  "'",
  "/*",
  "*/",
  "//",
  "#if 0\n",
  "#endif\n",
  "\\\n",
  ";",
  "\0",
  "\r",
  "\u00ff",
];

type Mutation = (bytes: Buffer, random: () => number) => Buffer;

const pick = <T>(items: readonly T[], random: () => number): T =>
  items[Math.floor(random() * items.length)] as T;

const MUTATIONS: Record<string, Mutation> = {
  flip: (bytes, random) => {
    const copy = Buffer.from(bytes);
    for (let n = 1 + Math.floor(random() * 4); n > 0 && copy.length > 0; n--) {
      const at = Math.floor(random() * copy.length);
      copy[at] = (copy[at] as number) ^ (1 << Math.floor(random() * 8));
    }
    return copy;
  },
  dropLine: (bytes, random) => {
    const lines = bytes.toString("latin1").split("\n");
    lines.splice(Math.floor(random() * lines.length), 1 + Math.floor(random() * 3));
    return Buffer.from(lines.join("\n"), "latin1");
  },
  repeatLine: (bytes, random) => {
    const lines = bytes.toString("latin1").split("\n");
    const at = Math.floor(random() * lines.length);
    lines.splice(at, 0, lines[at] ?? "");
    return Buffer.from(lines.join("\n"), "latin1");
  },
  swapTokens: (bytes, random) => {
    const tokens = bytes.toString("latin1").split(/(\W)/);
    const a = Math.floor(random() * tokens.length);
    const b = Math.floor(random() * tokens.length);
    [tokens[a], tokens[b]] = [tokens[b] as string, tokens[a] as string];
    return Buffer.from(tokens.join(""), "latin1");
  },
  insert: (bytes, random) => {
    const at = Math.floor(random() * (bytes.length + 1));
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(pick(INSERTS, random)), bytes.subarray(at)]);
  },
  truncate: (bytes, random) => bytes.subarray(0, Math.floor(random() * bytes.length)),
};

interface Outcome {
  failure?: string;
  drivers?: DriverReport[];
}

/** The split module's files are one module: a mutant of one is analysed with the others. */
const SPLIT = "drivers/split/";

function pipeline(path: string, bytes: Buffer): Outcome {
  const members = path.startsWith(SPLIT)
    ? fixtures.filter((fixture) => fixture.path.startsWith(SPLIT))
    : [{ path, bytes }];
  const files = [];
  for (const member of members) {
    const facts = parseOne(member.path, member.path === path ? bytes : member.bytes);
    if (isParseFailure(facts)) return { failure: facts.error };
    files.push(facts);
  }
  const unit = path.startsWith(SPLIT) ? "drivers/split" : path.slice(0, -2);
  return {
    drivers: analyseModule(
      { unit, module: unit.slice(unit.lastIndexOf("/") + 1), sources: members.map((m) => m.path), files },
      { pcimAllocIrqVectors: false, era: 1 },
    ),
  };
}

describe("fuzzing the parse and the model", () => {
  test(
    `${CASES} mutants of ${fixtures.length} fixtures (seed ${SEED}): no crash, no hang, deterministic`,
    { timeout: 120_000 },
    () => {
      assert.ok(fixtures.length >= 15);
      const random = prng(SEED);
      const names = Object.keys(MUTATIONS);
      const failures = new Map<string, number>();
      let reported = 0;
      let slowest = 0;
      const started = performance.now();
      for (let index = 0; index < CASES; index++) {
        const fixture = pick(fixtures, random);
        const applied: string[] = [];
        let bytes: Buffer = fixture.bytes;
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
          const name = pick(names, random);
          applied.push(name);
          bytes = (MUTATIONS[name] as Mutation)(bytes, random);
        }
        const label = `case ${index} (seed ${SEED}): ${fixture.path} ${applied.join("+")}`;
        const caseStarted = performance.now();
        let first: Outcome;
        let second: Outcome;
        try {
          first = pipeline(fixture.path, bytes);
          second = pipeline(fixture.path, bytes);
        } catch (error) {
          assert.fail(`${label} crashed: ${(error as Error).stack}`);
        }
        const elapsed = (performance.now() - caseStarted) / 2;
        slowest = Math.max(slowest, elapsed);
        assert.ok(elapsed < SLOW_MS, `${label} took ${elapsed.toFixed(0)} ms`);
        assert.deepEqual(second, first, `${label} gave two different outputs`);
        if (first.failure !== undefined) failures.set(first.failure, (failures.get(first.failure) ?? 0) + 1);
        else reported += first.drivers?.length ?? 0;
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `${CASES} mutants in ${seconds.toFixed(1)} s (slowest ${slowest.toFixed(0)} ms); ${reported} driver reports; parse failures: ${JSON.stringify([...failures])}`,
      );
      // tree-sitter recovers from any byte soup: a small mutant is never refused.
      assert.deepEqual([...failures], []);
    },
  );
});

describe("the one-pass comment and literal scanner", () => {
  const COMMENTS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
  const NON_CODE = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g;
  const mark = (match: string): string => `<${match.length}:${match}>`;

  test("gives exactly the matches of the regular expressions it replaces", () => {
    const random = prng(SEED);
    const alphabet = ["/", "*", '"', "'", "\\", "\n", "\r", "\u2028", "a", " ", "/*", "*/", "//"];
    for (let index = 0; index < 20_000; index++) {
      let text = "";
      for (let n = Math.floor(random() * 30); n > 0; n--) text += pick(alphabet, random);
      const label = `case ${index}: ${JSON.stringify(text)}`;
      assert.equal(replaceNonCode(text, { literals: false }, mark), text.replace(COMMENTS, mark), label);
      assert.equal(replaceNonCode(text, { literals: true }, mark), text.replace(NON_CODE, mark), label);
      assert.equal(stripComments(text), text.replace(COMMENTS, " "), label);
    }
  });

  test("stays linear where the regular expressions are quadratic", () => {
    for (const text of [
      "/* a\n".repeat(200_000),
      '"\\'.repeat(200_000),
      "'x".repeat(200_000),
      '"/*",\n'.repeat(200_000),
    ]) {
      const started = performance.now();
      replaceNonCode(text, { literals: true }, () => " ");
      stripComments(text);
      assert.ok(
        performance.now() - started < 1000,
        `${text.slice(0, 8)}...: ${(performance.now() - started).toFixed(0)} ms`,
      );
    }
  });
});

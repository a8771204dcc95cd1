import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createProgressReporter, formatFinalLine } from "../src/scan/progress.js";

/** A stderr stand-in that records what is written; a terminal when `isTTY`. */
function fakeStderr(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, columns: 120, text: () => chunks.join("") });
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe("progress on stderr", () => {
  it("prints nothing but one final line when stderr is not a terminal (CI)", () => {
    const stderr = fakeStderr(false);
    const time = clock();
    const progress = createProgressReporter({ stream: stderr, now: time.now });
    for (let done = 1; done <= 500; done++) {
      time.advance(10);
      progress.onProgress({ phase: "scan", done, total: 500 });
    }
    for (let done = 1; done <= 20; done++) progress.onProgress({ phase: "parse", done, total: 20 });
    assert.equal(stderr.text(), "");
    time.advance(200);
    progress.finish();
    assert.equal(stderr.text(), "msi-ownership: 500 files scanned, 20 parsed in 5.2 s\n");
    progress.finish();
    assert.equal(stderr.text().split("\n").length, 2, "a second finish() prints nothing more");
  });

  it("takes the totals it is given over the counts it saw", () => {
    const stderr = fakeStderr(false);
    const progress = createProgressReporter({ stream: stderr, now: () => 0 });
    progress.finish({ filesScanned: 20681, filesParsed: 1234 });
    assert.equal(stderr.text(), "msi-ownership: 20681 files scanned, 1234 parsed in 0.0 s\n");
  });

  it("draws a bar with the phase, the counts and an ETA on a terminal, then clears it", () => {
    const stderr = fakeStderr(true);
    const time = clock();
    const progress = createProgressReporter({ stream: stderr, now: time.now, delayMs: 0 });
    progress.onProgress({ phase: "scan", done: 1000, total: 4000 });
    progress.onProgress({ phase: "parse", done: 12, total: 40 });
    const drawn = stderr.text();
    assert.match(drawn, /scanning \[.*\] 1000\/4000 \| 1000 scanned, 0 parsed \| ETA/);
    assert.match(drawn, /parsing \[.*\] 12\/40 \| 1000 scanned, 12 parsed \| ETA/);
    time.advance(1500);
    progress.finish();
    assert.match(stderr.text(), /msi-ownership: 1000 files scanned, 12 parsed in 1\.5 s\n$/);
  });

  it("shows no bar for an audit shorter than the delay", () => {
    const stderr = fakeStderr(true);
    const progress = createProgressReporter({ stream: stderr, now: () => 10, delayMs: 300 });
    progress.onProgress({ phase: "scan", done: 1, total: 2 });
    assert.equal(stderr.text(), "");
  });

  it("ends the bar without a final line when the audit fails", () => {
    const stderr = fakeStderr(true);
    const progress = createProgressReporter({ stream: stderr, now: () => 0, delayMs: 0 });
    progress.onProgress({ phase: "scan", done: 1, total: 2 });
    progress.abort();
    progress.onProgress({ phase: "scan", done: 2, total: 2 });
    progress.finish();
    assert.doesNotMatch(stderr.text(), /msi-ownership:/);
  });

  it("formats the final line", () => {
    assert.equal(
      formatFinalLine({ filesScanned: 3, filesParsed: 1 }, 0.04),
      "msi-ownership: 3 files scanned, 1 parsed in 0.0 s",
    );
    // A warm run says how many files came from the cache, not that it parsed them.
    assert.equal(
      formatFinalLine({ filesScanned: 3, filesParsed: 3, cacheHits: 2 }, 0.04),
      "msi-ownership: 3 files scanned, 1 parsed, 2 from the cache in 0.0 s",
    );
  });
});

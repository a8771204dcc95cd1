/** The Markdown summary's numbers, read back the way a reader would, against the JSON report. */
import assert from "node:assert/strict";
import { NEEDS_CONVERSION, STATUSES, type Report } from "../../src/report/types.js";

/** Reads the numbers back out of the Markdown, the way a reader would. */
export function numbersIn(markdown: string): {
  table: Record<string, number>;
  pie: Record<string, number>;
  headline: number;
  driverRows: number;
} {
  const table: Record<string, number> = {};
  for (const match of markdown.matchAll(/^\| \*{0,2}([a-z-]+)\*{0,2} \| (\d+) \| [^|]*\|$/gm))
    table[match[1]!] = Number(match[2]);
  const pie: Record<string, number> = {};
  for (const match of markdown.matchAll(/^ {4}"([a-z-]+)" : (\d+)$/gm)) pie[match[1]!] = Number(match[2]);
  const headline = Number(/^## .*: (\d+) drivers? needs? conversion$/m.exec(markdown)?.[1]);
  const section = markdown.split("### Drivers needing conversion")[1] ?? "";
  const driverRows = [...section.matchAll(/^\| `[^`]+` \(/gm)].length;
  return { table, pie, headline, driverRows };
}

export function assertNumbersMatch(markdown: string, source: Report): void {
  const numbers = numbersIn(markdown);
  for (const status of STATUSES) {
    assert.equal(numbers.table[status], source.summary[status], `table: ${status}`);
    if (source.summary[status] > 0)
      assert.equal(numbers.pie[status], source.summary[status], `pie: ${status}`);
    else assert.equal(numbers.pie[status], undefined, `pie: ${status} has no slice`);
  }
  assert.equal(
    numbers.table.total,
    STATUSES.reduce((sum, status) => sum + source.summary[status], 0),
  );
  const pending = NEEDS_CONVERSION.reduce((sum, status) => sum + source.summary[status], 0);
  assert.equal(numbers.headline, pending);
  assert.equal(numbers.driverRows, pending);
}

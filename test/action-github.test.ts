/**
 * The action's GitHub edge against a local stand-in for the API (changed files, check run
 * batches) and its pure parts (annotations, the job summary).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toCheckAnnotation, toCommandAnnotation } from "../src/github/annotations.js";
import {
  createOctokit,
  finishCheckRun,
  listChangedFiles,
  startCheckRun,
  type Octokit,
} from "../src/github/checks.js";
import { escapeMarkdown, lineUrl, prSummaryMarkdown, truncateForCheckRun } from "../src/github/summary.js";
import { startFakeGitHub, type FakeGitHub, type PullRequestFile } from "./helpers/fake-github.js";
import { driver, finding, report } from "./helpers/sample-report.js";

const repository = { owner: "acme", repo: "linux" };
const quiet = { info: () => undefined, warning: () => undefined };

describe("GitHub API edge", () => {
  let github: FakeGitHub;
  let octokit: Octokit;
  const files: PullRequestFile[] = [
    { filename: "drivers/a/a.c", status: "modified" },
    { filename: "drivers/a/b_new.c", status: "renamed", previous_filename: "drivers/a/b.c" },
    { filename: "drivers/a/c.c", status: "copied" },
    { filename: "drivers/a/d.c", status: "removed" },
  ];

  before(async () => {
    github = await startFakeGitHub({
      pullRequest: { number: 1, baseSha: "b".repeat(40), headSha: "a".repeat(40), files },
      pageSize: 3,
      // A token without `checks: write` on this commit: GitHub answers 404.
      intercept: (request) =>
        request.operationId === "checks/create" &&
        (request.body as { head_sha: string }).head_sha === "denied"
          ? { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } }
          : undefined,
    });
    octokit = createOctokit("t0ken", github.url, quiet);
  });
  after(async () => {
    await github.close();
  });

  test("listChangedFiles follows pages and maps renames and copies", async () => {
    const listed = await listChangedFiles(octokit, repository, 1);
    assert.deepEqual(listed.files, [
      { path: "drivers/a/a.c", status: "modified" },
      { path: "drivers/a/b_new.c", status: "renamed", previousPath: "drivers/a/b.c" },
      { path: "drivers/a/c.c", status: "added" },
      { path: "drivers/a/d.c", status: "removed" },
    ]);
    assert.equal(github.requests.filter((r) => r.operationId === "pulls/list-files").length, 2);
  });

  test("listChangedFiles gives a reason instead of files when the API fails", async () => {
    const listed = await listChangedFiles(octokit, repository, 3);
    assert.equal(listed.files, undefined);
    assert.match((listed as { reason: string }).reason, /pulls\.listFiles failed: Not Found/);
  });

  test("startCheckRun: 404 is a token that may not write checks, not an error", async () => {
    const denied = await startCheckRun(octokit, repository, "denied", undefined);
    assert.deepEqual(
      { id: denied.id, status: (denied as { status: number }).status },
      { id: undefined, status: 404 },
    );
    const started = await startCheckRun(octokit, repository, "abc", "https://x/run");
    assert.deepEqual(started, { id: github.checkRuns.at(-1)?.id });
    assert.equal(github.checkRuns.at(-1)?.status, "in_progress");
  });

  test("finishCheckRun: batches of 50, only the last completes; none still completes once", async () => {
    const started = await startCheckRun(octokit, repository, "abc", undefined);
    assert.ok(started.id !== undefined);
    const annotations = Array.from({ length: 101 }, (_, index) =>
      toCheckAnnotation(finding({ file: `d/f${index}.c`, line: index + 1 })),
    );
    const before = github.requests.length;
    const requests = await finishCheckRun(octokit, repository, started.id, {
      conclusion: "failure",
      title: "t",
      summary: "s",
      annotations,
    });
    const patches = github.requests
      .slice(before)
      .map((r) => r.body as { status?: string; output: { annotations: unknown[] } });
    assert.equal(requests, 3);
    assert.deepEqual(
      patches.map((p) => [p.output.annotations.length, p.status]),
      [
        [50, undefined],
        [50, undefined],
        [1, "completed"],
      ],
    );
    const run = github.checkRuns.find((candidate) => candidate.id === started.id);
    assert.deepEqual([run?.annotations.length, run?.conclusion], [101, "failure"]);
    const empty = github.requests.length;
    assert.equal(
      await finishCheckRun(octokit, repository, started.id, {
        conclusion: "success",
        title: "t",
        summary: "s",
        annotations: [],
      }),
      1,
    );
    assert.deepEqual((github.requests[empty]?.body as { conclusion: string }).conclusion, "success");
  });

  test("a check run with hundreds of long annotations and a summary at the limit is accepted", async () => {
    const started = await startCheckRun(octokit, repository, "c".repeat(40), undefined);
    assert.ok(started.id !== undefined);
    const evidence = Array.from({ length: 12 }, (_, index) => ({
      file: `drivers/net/ethernet/vendor/very_long_driver_name/part_${index}.c`,
      line: 1000 + index,
      column: 9,
      role: "managed-enable" as const,
      function: `very_long_driver_name_probe_step_${index}`,
      text: "pcim_enable_device(pdev)",
    }));
    const annotations = Array.from({ length: 300 }, (_, index) =>
      toCheckAnnotation(
        finding({
          file: `drivers/net/ethernet/vendor/very_long_driver_name/file_${index}.c`,
          line: index + 1,
          new: index % 3 !== 0,
          evidence,
        }),
      ),
    );
    const requests = await finishCheckRun(octokit, repository, started.id, {
      conclusion: "failure",
      title: "300 new findings",
      summary: truncateForCheckRun("| a | table |\n".repeat(10_000)),
      annotations,
    });
    assert.equal(requests, 6);
    github.assertNoViolations();
    assert.equal(github.checkRuns.find((run) => run.id === started.id)?.annotations.length, 300);
  });
});

describe("annotations and summary", () => {
  const evidence = [
    {
      file: "d/a.c",
      line: 3,
      column: 2,
      role: "managed-enable" as const,
      function: "a_probe",
      text: "pcim_enable_device(pdev)",
    },
  ];
  const fresh = finding({ file: "d/a.c", line: 40, new: true, evidence });
  const old = finding({
    file: "d/a.c",
    line: 50,
    new: false,
    severity: "warning",
    ruleId: "msi-implicit-managed",
  });

  test("a new error is a failure; a finding already at the base is a notice", () => {
    assert.equal(toCheckAnnotation(fresh).annotation_level, "failure");
    assert.equal(toCheckAnnotation(old).annotation_level, "notice");
    assert.equal(toCheckAnnotation(old).title, "msi-implicit-managed (already at base)");
    assert.match(
      toCheckAnnotation(fresh).message,
      /managed by pcim_enable_device\(\) at a\.c:3 in a_probe\(\)/,
    );
    assert.deepEqual(toCommandAnnotation(fresh).properties, {
      title: "msi-double-release",
      file: "d/a.c",
      startLine: 40,
      startColumn: 2,
    });
    assert.equal(toCommandAnnotation(fresh).level, "error");
  });

  test("the summary lists new findings first, linked at the head commit, with evidence", () => {
    const link = { serverUrl: "https://github.com", owner: "acme", repo: "linux", sha: "abc" };
    const markdown = prSummaryMarkdown({
      report: report([driver({ unit: "d", status: "double-release", findings: [old, fresh] })]),
      resolved: [],
      changedFiles: 2,
      baseCommit: "0123456789abcdef",
      link,
      failOn: "new",
      blocking: true,
      notes: ["fell back"],
    });
    assert.ok(markdown.indexOf("### New findings") < markdown.indexOf("### Already at the base"));
    assert.ok(markdown.indexOf(lineUrl(link, "d/a.c", 40)) < markdown.indexOf(lineUrl(link, "d/a.c", 50)));
    assert.ok(
      markdown.includes(
        "managed by `pcim_enable_device()` at [a.c:3](https://github.com/acme/linux/blob/abc/d/a.c#L3) in `a_probe()`",
      ),
    );
    assert.match(markdown, /> fell back/);
    assert.match(markdown, /\*\*fails\*\* the check \(fail-on: new\)/);
  });

  test("report text cannot inject Markdown or HTML", () => {
    assert.equal(escapeMarkdown("<img src=x> [a](b) | `c`"), "\\<img src=x\\> \\[a\\](b) \\| \\`c\\`");
    assert.equal(
      lineUrl({ serverUrl: "s", owner: "o", repo: "r", sha: "h" }, "d/a b#.c", 1),
      "s/o/r/blob/h/d/a%20b%23.c#L1",
    );
  });
});

/**
 * End to end on GitLab: the real `danger ci`, as in a merge request pipeline (GITLAB_CI,
 * CI_MERGE_REQUEST_IID, CI_PROJECT_PATH), runs the project's dangerfile against a fake GitLab API
 * on 127.0.0.1. The merge request's head adds a `.remove` whose only statement releases the
 * vectors: an inline discussion on that line of the head commit with GitLab's suggestion block,
 * one summary note that a second run edits, and a finding outside the diff in the main note.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DRIVER,
  execFileAsync,
  makeActionCheckout,
  makeKernelRepository,
  runDanger,
} from "./helpers/danger-run.js";
import { startFakeGitLab, type FakeGitLab } from "./helpers/fake-gitlab.js";

describe("danger ci on GitLab with the project's dangerfile", { timeout: 300_000 }, () => {
  let work: string;
  let kernel: string;
  let action: string;
  let report: string;
  let gitlab: FakeGitLab;
  let change: { base: string; head: string; patch: string };
  let env: Record<string, string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "msi-danger-gitlab-"));
    kernel = join(work, "linux");
    action = join(work, "action");
    await mkdir(kernel);
    await mkdir(action);
    change = await makeKernelRepository(kernel);
    await makeActionCheckout(action);
    gitlab = await startFakeGitLab({
      project: "kernel/linux",
      iid: 7,
      baseSha: change.base,
      headSha: change.head,
      diffs: [{ old_path: DRIVER, new_path: DRIVER, diff: change.patch }],
    });
    report = join(work, "report.json");
    await execFileAsync(
      process.execPath,
      [
        join(action, "dist", "cli.js"),
        "check",
        "--base",
        change.base,
        "--head",
        change.head,
        "--format",
        "json",
        "--output",
        report,
        "--fail-on",
        "never",
      ],
      { cwd: kernel },
    );
    env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? work,
      GITLAB_CI: "true",
      CI: "true",
      CI_MERGE_REQUEST_IID: "7",
      CI_PROJECT_PATH: "kernel/linux",
      CI_COMMIT_SHA: change.head,
      DANGER_GITLAB_HOST: gitlab.url,
      DANGER_GITLAB_API_TOKEN: "glpat-test",
      MSI_OWNERSHIP_REPORT: report,
    };
  });
  after(async () => {
    await gitlab?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it("first run: an inline discussion with GitLab's suggestion at the head commit, and one summary note", async () => {
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), env);
    const context = `danger ci output:\n${run.stdout}\n${run.stderr}\nrequests:\n${gitlab.requests.join("\n")}\nrejected:\n${gitlab.rejected.join("\n")}`;
    assert.doesNotMatch(run.stdout + run.stderr, /Unable to evaluate the Dangerfile/, context);
    assert.deepEqual(gitlab.rejected, [], context);
    const inline = gitlab.discussions
      .flatMap((discussion) => discussion.notes)
      .filter((note) => note.type === "DiffNote");
    assert.equal(inline.length, 1, context);
    const note = inline[0];
    assert.ok(note);
    assert.equal(note.position?.new_path, DRIVER);
    assert.equal(String(note.position?.new_line), "41");
    assert.equal(note.position?.head_sha, change.head);
    assert.match(note.body, /msi-double-release/);
    assert.match(note.body, /```suggestion:-0\+0\r?\n```/, "GitLab's suggestion deleting the line");
    assert.match(note.body, new RegExp(`${gitlab.url}/kernel/linux/-/blob/${change.head}/${DRIVER}#L19`));

    assert.equal(gitlab.notes.length, 1, context);
    assert.match(gitlab.notes[0]?.body ?? "", /MSI\/MSI-X vector ownership/);
    assert.match(gitlab.notes[0]?.body ?? "", /#### double-release \(1\)/);
    assert.equal(run.code, 1, "--failOnErrors: a posted fail fails the job");
  });

  it("second run: edits the summary note and keeps the one discussion", async () => {
    const summaryId = gitlab.notes[0]?.id;
    const before = gitlab.requests.length;
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), env);
    const requests = gitlab.requests.slice(before);
    const context = `${run.stdout}\n${run.stderr}\n${requests.join("\n")}`;
    assert.deepEqual(gitlab.rejected, [], context);
    assert.equal(gitlab.notes.length, 1, context);
    assert.equal(gitlab.notes[0]?.id, summaryId);
    assert.ok(
      requests.some(
        (request) => request === `PUT /api/v4/projects/kernel%2Flinux/merge_requests/7/notes/${summaryId}`,
      ),
      context,
    );
    const inline = gitlab.discussions
      .flatMap((discussion) => discussion.notes)
      .filter((note) => note.type === "DiffNote");
    assert.equal(inline.length, 1, context);
  });

  it("the fake refuses, as GitLab does, a discussion on a line outside the diff", async () => {
    const form = new FormData();
    form.set("body", "x");
    form.set("position[position_type]", "text");
    form.set("position[head_sha]", change.head);
    form.set("position[new_path]", DRIVER);
    form.set("position[new_line]", "28");
    const response = await fetch(
      `${gitlab.url}/api/v4/projects/kernel%2Flinux/merge_requests/7/discussions`,
      {
        method: "POST",
        body: form,
      },
    );
    assert.equal(response.status, 400);
    assert.equal(gitlab.rejected.length, 1);
    gitlab.rejected.length = 0;
  });

  it("a finding outside the diff goes to the main note, and nothing is refused", async () => {
    const parsed = JSON.parse(await readFile(report, "utf8")) as {
      drivers: { findings: { line: number }[] }[];
    };
    const finding = parsed.drivers[0]?.findings[0];
    assert.ok(finding);
    finding.line = 28; // the allocation, which the merge request does not change
    const moved = join(work, "moved.json");
    await writeFile(moved, JSON.stringify(parsed));
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), {
      ...env,
      MSI_OWNERSHIP_REPORT: moved,
    });
    const context = `${run.stdout}\n${run.stderr}\n${gitlab.requests.join("\n")}`;
    assert.deepEqual(gitlab.rejected, [], context);
    assert.equal(gitlab.notes.length, 1, context);
    assert.ok(
      (gitlab.notes[0]?.body ?? "").includes(
        `[\`${DRIVER}:28\`](${gitlab.url}/kernel/linux/-/blob/${change.head}/${DRIVER}#L28)`,
      ),
      gitlab.notes[0]?.body,
    );
    assert.doesNotMatch(gitlab.notes[0]?.body ?? "", /```suggestion/);
  });
});

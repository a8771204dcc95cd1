/**
 * End to end: the real `danger ci` runs the project's dangerfile in a kernel-style git repository
 * (no package.json), from an "action checkout" holding dangerfile.ts and a fresh dist/ bundle,
 * against a fake GitHub API on 127.0.0.1. Asserts what lands on the pull request.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ACTIONS_BOT,
  startFakeGitHub,
  type FakeGitHub,
  type RecordedRequest,
} from "./helpers/fake-github.js";
import {
  DRIVER,
  execFileAsync,
  fixtures,
  makeActionCheckout,
  makeKernelRepository,
  runDanger,
} from "./helpers/danger-run.js";

/** Requests as `METHOD /path`, for the messages of failed assertions. */
function lines(requests: readonly RecordedRequest[]): string[] {
  return requests.map((request) => `${request.method} ${request.path}`);
}

describe("danger ci with the project's dangerfile", { timeout: 300_000 }, () => {
  let work: string;
  let kernel: string;
  let action: string;
  let github: FakeGitHub;
  let change: { base: string; head: string; patch: string };
  let baseEnv: Record<string, string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "msi-danger-e2e-"));
    kernel = join(work, "linux");
    action = join(work, "action");
    await mkdir(kernel);
    await mkdir(action);
    change = await makeKernelRepository(kernel);

    await makeActionCheckout(action);

    github = await startFakeGitHub({
      owner: "acme",
      repo: "linux",
      // Danger finds its own comments by the token's user.
      login: ACTIONS_BOT,
      pullRequest: {
        number: 7,
        baseSha: change.base,
        headSha: change.head,
        files: [{ filename: DRIVER, status: "modified", patch: change.patch }],
        commits: [
          { sha: change.head, parents: [change.base], message: "skel: free the MSI vectors in remove()" },
        ],
      },
    });
    const event = join(work, "event.json");
    await writeFile(
      event,
      JSON.stringify({
        action: "synchronize",
        number: 7,
        pull_request: { number: 7, base: { repo: { full_name: "acme/linux" } } },
        repository: { full_name: "acme/linux" },
      }),
    );
    // Only what a GitHub Actions job would set: Danger picks its CI from these variables.
    baseEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? work,
      GITHUB_ACTIONS: "true",
      GITHUB_WORKFLOW: "msi-ownership",
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: event,
      GITHUB_REPOSITORY: "acme/linux",
      GITHUB_SHA: change.head,
      DANGER_GITHUB_API_TOKEN: "fake-token",
      DANGER_GITHUB_API_BASE_URL: github.url,
    };
  });

  after(async () => {
    await github?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  let report: string;

  it("first run (the action's report, no TypeScript): inline comment, suggestion and summary", async () => {
    report = join(work, "msi-ownership.json");
    await execFileAsync(
      process.execPath,
      [
        join(action, "dist", "cli.js"),
        "check",
        "--root",
        kernel,
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
    const parsed = JSON.parse(await readFile(report, "utf8")) as { drivers: { status: string }[] };
    assert.equal(parsed.drivers[0]?.status, "double-release", "the CLI's report is the input of this run");

    // DANGER_DISABLE_TRANSPILATION: what `npx danger` in a fork without typescript does.
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), {
      ...baseEnv,
      DANGER_DISABLE_TRANSPILATION: "true",
      MSI_OWNERSHIP_REPORT: report,
    });
    const context = `danger ci output:\n${run.stdout}\n${run.stderr}\nrequests:\n${lines(github.requests).join("\n")}`;
    assert.doesNotMatch(run.stdout + run.stderr, /Unable to evaluate the Dangerfile/, context);
    github.assertNoViolations(context);

    assert.equal(github.reviewComments.length, 1, context);
    const inline = github.reviewComments[0];
    assert.ok(inline);
    assert.equal(inline.path, DRIVER);
    assert.equal(inline.line, 41, "on the added pci_free_irq_vectors() line");
    assert.equal(inline.commitId, change.head);
    assert.match(inline.body, /msi-double-release/);
    assert.match(inline.body, /:no_entry_sign:/, "an error under fail-on new is a Danger failure");
    // The fix deletes the line: an empty suggestion block.
    assert.match(inline.body, /```suggestion\n```/);

    assert.equal(github.issueComments.length, 1, context);
    const summary = github.issueComments[0]?.body ?? "";
    assert.match(summary, /MSI\/MSI-X vector ownership/);
    assert.match(summary, /DangerID: danger-id-msi-ownership;/);
    assert.match(summary, /#### double-release \(1\)/);
    assert.match(summary, /\*\*drivers\/misc\/skel\*\* \(`skel, skel_driver`\)/);
    assert.ok(
      summary.includes(`https://github.com/acme/linux/blob/${change.head}/${DRIVER}#L19`),
      "the evidence links point at the head commit",
    );
    assert.match(summary, /managed by `pcim_enable_device\(\)`/);
    assert.match(
      summary,
      /`skel_remove\(\)` at \[skel_main.c:39\]\([^)]*\) is the `.remove` of `skel_driver`/,
    );
    assert.equal(github.statuses.at(-1)?.state, "failure", context);
    assert.equal(run.code, 1, "--failOnErrors: a posted fail fails the step");
  });

  it("second run (analysing the PR itself, transpiled): updates the comments instead of adding new ones", async () => {
    const firstSummaryId = github.issueComments[0]?.id;
    const firstInlineId = github.reviewComments[0]?.id;
    const before = github.requests.length;
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), baseEnv);
    const requests = lines(github.requests.slice(before));
    const context = `danger ci output:\n${run.stdout}\n${run.stderr}\nrequests:\n${requests.join("\n")}`;
    assert.doesNotMatch(run.stdout + run.stderr, /Unable to evaluate the Dangerfile/, context);
    github.assertNoViolations(context);

    assert.equal(github.issueComments.length, 1, context);
    assert.equal(github.issueComments[0]?.id, firstSummaryId);
    assert.ok(requests.includes(`PATCH /repos/acme/linux/issues/comments/${firstSummaryId}`), context);
    assert.ok(!requests.includes("POST /repos/acme/linux/issues/7/comments"), context);
    assert.match(github.issueComments[0]?.body ?? "", /#### double-release \(1\)/);

    assert.equal(github.reviewComments.length, 1, context);
    assert.equal(github.reviewComments[0]?.id, firstInlineId);
    assert.equal(github.reviewComments[0]?.line, 41);
    assert.ok(!requests.includes("POST /repos/acme/linux/pulls/7/reviews"), context);
  });

  it("a finding on a line outside the diff goes to the main comment, and GitHub accepts the review", async () => {
    // The same report with the finding moved to line 28 (the allocation, unchanged by the PR).
    const parsed = JSON.parse(await readFile(report, "utf8")) as {
      drivers: { findings: { line: number }[] }[];
    };
    const finding = parsed.drivers[0]?.findings[0];
    assert.ok(finding);
    finding.line = 28;
    const moved = join(work, "moved.json");
    await writeFile(moved, JSON.stringify(parsed));
    const before = github.requests.length;
    const run = await runDanger(kernel, join(action, "dangerfile.ts"), {
      ...baseEnv,
      MSI_OWNERSHIP_REPORT: moved,
    });
    const requests = lines(github.requests.slice(before));
    const context = `danger ci output:\n${run.stdout}\n${run.stderr}\nrequests:\n${requests.join("\n")}`;
    github.assertNoViolations(context);
    // Danger removes its inline comment that no longer applies, and lists the finding in its table.
    assert.equal(github.reviewComments.length, 0, context);
    assert.equal(github.issueComments.length, 1, context);
    const summary = github.issueComments[0]?.body ?? "";
    assert.match(summary, /<th width="100%" data-danger-table="true">Fails<\/th>/, context);
    assert.ok(
      summary.includes(
        `[\`${DRIVER}:28\`](https://github.com/acme/linux/blob/${change.head}/${DRIVER}#L28) **msi-double-release**`,
      ),
      summary,
    );
    assert.doesNotMatch(summary, /```suggestion/);
  });

  it("a hundred findings on the diff: one review of a hundred inline comments; three hundred off it: a main comment GitHub takes", async () => {
    // A second pull request whose driver gains 120 lines at the end, each one commentable.
    const big = join(work, "linux-big");
    await mkdir(big);
    const padding = Array.from({ length: 120 }, (_, index) => `/* skel: register ${index} */\n`).join("");
    const bigChange = await makeKernelRepository(big, padding);
    const firstAdded = (await readFile(join(fixtures, "skel_main-head.c"), "utf8")).split("\n").length;
    const parsed = JSON.parse(await readFile(report, "utf8")) as {
      drivers: { findings: { line: number; fingerprint: string }[] }[];
    };
    const driver = parsed.drivers[0];
    const finding = driver?.findings[0];
    assert.ok(driver && finding);
    driver.findings = Array.from({ length: 100 }, (_, index) => ({
      ...finding,
      line: firstAdded + index,
      fingerprint: `${finding.fingerprint}-${index}`,
    }));
    const hundred = join(work, "hundred.json");
    await writeFile(hundred, JSON.stringify(parsed));
    const bigGitHub = await startFakeGitHub({
      owner: "acme",
      repo: "linux",
      login: ACTIONS_BOT,
      pullRequest: {
        number: 7,
        baseSha: bigChange.base,
        headSha: bigChange.head,
        files: [{ filename: DRIVER, status: "modified", patch: bigChange.patch }],
        commits: [{ sha: bigChange.head, parents: [bigChange.base], message: "skel: many lines" }],
      },
    });
    try {
      const run = await runDanger(big, join(action, "dangerfile.ts"), {
        ...baseEnv,
        GITHUB_SHA: bigChange.head,
        DANGER_GITHUB_API_BASE_URL: bigGitHub.url,
        MSI_OWNERSHIP_REPORT: hundred,
      });
      const context = `danger ci output:\n${run.stdout}\n${run.stderr}\nrequests:\n${lines(bigGitHub.requests).join("\n")}`;
      bigGitHub.assertNoViolations(context);
      assert.equal(bigGitHub.reviewComments.length, 100, context);
      assert.deepEqual(
        bigGitHub.reviewComments.map((comment) => comment.line).sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, index) => firstAdded + index),
      );
      const reviews = bigGitHub.requests.filter((request) => request.operationId === "pulls/create-review");
      assert.equal(reviews.length, 1, context);
      assert.equal((reviews[0]?.body as { comments: unknown[] }).comments.length, 100);

      // Three hundred findings outside the diff: Danger's main comment must stay one GitHub takes.
      driver.findings = Array.from({ length: 300 }, (_, index) => ({
        ...finding,
        line: 2 + (index % 20),
        fingerprint: `${finding.fingerprint}-off-${index}`,
      }));
      const offDiff = join(work, "off-diff.json");
      await writeFile(offDiff, JSON.stringify(parsed));
      const second = await runDanger(big, join(action, "dangerfile.ts"), {
        ...baseEnv,
        GITHUB_SHA: bigChange.head,
        DANGER_GITHUB_API_BASE_URL: bigGitHub.url,
        MSI_OWNERSHIP_REPORT: offDiff,
      });
      const secondContext = `danger ci output:\n${second.stdout}\n${second.stderr}`;
      bigGitHub.assertNoViolations(secondContext);
      const main = bigGitHub.issueComments[0]?.body ?? "";
      assert.ok(main.length <= 65_536, `${main.length} characters`);
      assert.match(main, /\d+ more findings outside the diff are not listed/, secondContext);
      assert.equal(second.code, 1, "the findings left out still fail the step");
    } finally {
      await bigGitHub.close();
    }
  });
});

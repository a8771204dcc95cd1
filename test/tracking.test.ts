import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getOctokit } from "@actions/github";
import { snapshotOf } from "../src/report/markdown.js";
import type { Report } from "../src/report/types.js";
import {
  ACTIONS_BOT,
  MAX_BODY,
  snapshotComment,
  snapshotFromBody,
  TRACKING_MARKER,
  trackingIssueBody,
  updateTrackingIssue,
} from "../src/github/tracking.js";
import { startFakeGitHub, type FakeGitHub, type StoredIssue } from "./helpers/fake-github.js";
import { driver, finding, report, sampleReport } from "./helpers/sample-report.js";
import { assertNumbersMatch } from "./helpers/markdown-numbers.js";

function otherIssue(
  number: number,
  author: string,
  body: string,
  extra: Partial<StoredIssue> = {},
): StoredIssue {
  return { number, title: `issue ${number}`, body, state: "open", author, ...extra };
}

describe("updateTrackingIssue against a local GitHub", () => {
  let server: FakeGitHub;
  const issues: StoredIssue[] = [];
  let octokit: ReturnType<typeof getOctokit>;

  before(async () => {
    // Issues before ours: a human's that copies the marker, a pull request, unrelated bot issues.
    issues.push(
      otherIssue(1, "mallory", `${TRACKING_MARKER}\nnot yours ${snapshotComment(snapshotOf(report([])))}`),
      otherIssue(2, ACTIONS_BOT, `${TRACKING_MARKER} a pull request`, { pullRequest: true }),
      otherIssue(3, ACTIONS_BOT, "unrelated"),
      otherIssue(4, ACTIONS_BOT, "unrelated too"),
      otherIssue(5, ACTIONS_BOT, `${TRACKING_MARKER} closed long ago`, { state: "closed" }),
    );
    // Lists come 2 a page, so pagination is exercised; GET /user is refused, as to a workflow token.
    server = await startFakeGitHub({ owner: "fork", issues, pageSize: 2 });
    octokit = getOctokit("test-token", { baseUrl: server.url });
  });
  after(() => server.close());

  const first = report([
    driver({
      unit: "drivers/a",
      status: "implicit-managed",
      findings: [finding({ file: "drivers/a/a.c", line: 10, ruleId: "msi-implicit-managed" })],
    }),
    driver({
      unit: "drivers/b",
      status: "double-release",
      findings: [finding({ file: "drivers/b/b.c", line: 20 })],
    }),
  ]);
  const second = report([
    driver({ unit: "drivers/a", status: "converted" }),
    driver({
      unit: "drivers/b",
      status: "double-release",
      findings: [finding({ file: "drivers/b/b.c", line: 20 })],
    }),
    driver({ unit: "drivers/c", status: "implicit-managed" }),
  ]);
  const options = {
    owner: "fork",
    repo: "linux",
    title: "MSI ownership: drivers to convert",
    linkBase: "https://github.example/fork/linux/blob/abc",
  };

  it("creates the issue on the first run", async () => {
    const result = await updateTrackingIssue(octokit, { ...options, report: first });
    assert.equal(result.action, "created");
    assert.equal(result.previous, "none");
    assert.equal(result.number, 6);
    const issue = issues.find((candidate) => candidate.number === 6)!;
    assert.equal(issue.title, options.title);
    assert.ok(issue.body.startsWith(TRACKING_MARKER));
    assert.match(
      issue.body,
      /- \[ \] `drivers\/a` \(a\): implicit-managed at \[drivers\/a\/a\.c:10\]\(https:\/\/github\.example\/fork\/linux\/blob\/abc\/drivers\/a\/a\.c#L10\)/,
    );
    assert.deepEqual(snapshotFromBody(issue.body), snapshotOf(first));
    // The workflow token cannot read /user: only github-actions[bot]'s issues were listed.
    const lists = server.requests.filter(
      (request) => request.method === "GET" && request.path.endsWith("/issues"),
    );
    assert.ok(
      lists.every(
        (request) => request.query.get("creator") === ACTIONS_BOT && request.query.get("state") === "open",
      ),
    );
    assert.ok(lists.length >= 2, "the list was paginated");
  });

  it("updates it in place on the next run, with the trend from the snapshot it kept", async () => {
    const requestsBefore = server.requests.length;
    const result = await updateTrackingIssue(octokit, { ...options, report: second });
    assert.equal(result.action, "updated");
    assert.equal(result.number, 6);
    assert.equal(result.previous, "issue");
    assert.equal(issues.length, 6, "no second issue");
    const issue = issues[5]!;
    assert.match(issue.body, /Needing conversion: 2 → 2 \(0\); 1 driver converted or gone, 1 new\./);
    assert.match(issue.body, /\*\*Converted or gone\*\*\n\n- `drivers\/a:a` \(was implicit-managed\)/);
    assert.match(issue.body, /\*\*Newly needing conversion\*\*\n\n- `drivers\/c:c`: implicit-managed/);
    assert.deepEqual(snapshotFromBody(issue.body), snapshotOf(second));
    assertNumbersMatch(issue.body, second);
    const writes = server.requests.slice(requestsBefore).filter((request) => request.method !== "GET");
    assert.deepEqual(
      writes.map((request) => `${request.method} ${request.path}`),
      ["PATCH /repos/fork/linux/issues/6"],
    );
    // The human's issue with the copied marker was never touched.
    assert.equal(issues[0]!.body.startsWith(`${TRACKING_MARKER}\nnot yours`), true);
  });

  it("never duplicates: run again and again, still one issue; no write when nothing changed", async () => {
    await updateTrackingIssue(octokit, { ...options, report: second });
    const requestsBefore = server.requests.length;
    const result = await updateTrackingIssue(octokit, { ...options, report: second });
    assert.equal(result.action, "unchanged");
    assert.equal(
      server.requests.slice(requestsBefore).filter((request) => request.method !== "GET").length,
      0,
    );
    assert.equal(
      issues.filter(
        (issue) =>
          issue.body.includes(TRACKING_MARKER) &&
          issue.author === ACTIONS_BOT &&
          issue.state === "open" &&
          issue.pullRequest !== true,
      ).length,
      1,
    );
  });

  it("a previous report from an artifact takes precedence over the issue's snapshot", async () => {
    const result = await updateTrackingIssue(octokit, {
      ...options,
      report: second,
      previousReport: report([]),
    });
    assert.equal(result.previous, "artifact");
    assert.match(issues[5]!.body, /Needing conversion: 0 → 2 \(\+2\)/);
  });
});

describe("tracking issue with a personal token", () => {
  it("uses the token's login to find its issue", async () => {
    const issues: StoredIssue[] = [otherIssue(1, "kernel-bot", `${TRACKING_MARKER}\nold body`)];
    const server = await startFakeGitHub({ owner: "fork", issues, login: "kernel-bot" });
    try {
      const octokit = getOctokit("pat", { baseUrl: server.url });
      const result = await updateTrackingIssue(octokit, {
        owner: "fork",
        repo: "linux",
        title: "t",
        report: sampleReport(),
      });
      assert.deepEqual([result.action, result.number, result.previous], ["updated", 1, "none"]);
      assert.equal(issues.length, 1);
      assert.ok(server.requests.some((request) => request.query.get("creator") === "kernel-bot"));
    } finally {
      await server.close();
    }
  });
});

describe("trackingIssueBody", () => {
  it("the hidden snapshot survives hostile paths and cannot close the comment early", () => {
    const hostile: Report = report([driver({ unit: "drivers/x-->y<!--", status: "implicit-managed" })]);
    const comment = snapshotComment(snapshotOf(hostile));
    assert.equal(comment.indexOf("-->"), comment.length - 3);
    assert.deepEqual(snapshotFromBody(`text ${comment} more`), snapshotOf(hostile));
    assert.equal(snapshotFromBody("<!-- msi-ownership:snapshot {broken -->"), undefined);
    assert.equal(snapshotFromBody(undefined), undefined);
  });

  it("stays under GitHub's size limit on a huge report, saying what it left out", () => {
    const drivers = Array.from({ length: 2500 }, (_, index) =>
      driver({
        unit: `drivers/very/long/path/to/subsystem${index % 40}/driver_number_${index}`,
        status: "implicit-managed",
        findings: [
          finding({
            file: `drivers/very/long/path/to/subsystem${index % 40}/driver_number_${index}/main.c`,
            line: index + 1,
          }),
        ],
      }),
    );
    const big = report(drivers);
    const body = trackingIssueBody(big, {
      linkBase: "https://github.com/some-org/linux-fork/blob/0123456789abcdef0123456789abcdef01234567",
    });
    assert.ok(body.length <= MAX_BODY, `${body.length} characters`);
    assert.match(body, /- … and \d+ more \(see the JSON report\)/);
    assert.match(body, /## MSI vector ownership: 2500 drivers need conversion/);
    assert.ok(body.startsWith(TRACKING_MARKER));
    const kept = snapshotFromBody(body)!;
    assert.deepEqual(kept.summary, big.summary);
    assert.equal(kept.driversOmitted, true);
  });
});

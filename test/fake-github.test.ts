/**
 * The referee can fail: the fake GitHub refuses what GitHub refuses (by api.github.com.json's
 * schemas and by the limits GitHub's documentation states in prose), records each refusal
 * naming the operation and the rule, and checks its own answers against the description.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { getOctokit } from "@actions/github";
import { startFakeGitHub, type FakeGitHub, type Violation } from "./helpers/fake-github.js";
import { findOperation, OPENAPI_VERSION } from "./helpers/github-contract.js";
import { diffLinesOf, MAX_BODY_CHARACTERS, reviewCommentViolation } from "./helpers/github-limits.js";

const repository = { owner: "acme", repo: "linux" };
const HEAD = "a".repeat(40);
const DRIVER = "drivers/misc/skel/skel_main.c";
/** Two hunks: head lines 10-13 (11 added, 12 deleted at the base) and 40-41 (41 added). */
const PATCH = [
  "@@ -10,3 +10,3 @@ static int skel_probe(struct pci_dev *pdev)",
  " \tint ret;",
  "+\tint nvec;",
  "-\tint old;",
  " \tret = pcim_enable_device(pdev);",
  "@@ -40,1 +40,2 @@ static void skel_remove(struct pci_dev *pdev)",
  " {",
  "+\tpci_free_irq_vectors(pdev);",
].join("\n");

/** The one call that GitHub refuses: its status, and the violations the fake recorded. */
async function refused(github: FakeGitHub, call: () => Promise<unknown>): Promise<[number, Violation[]]> {
  const error = await call().then(
    () => assert.fail("GitHub would have refused this request"),
    (caught: unknown) => caught,
  );
  const status = (error as { status?: unknown }).status;
  assert.equal(typeof status, "number", `not an HTTP error: ${String(error)}`);
  return [status as number, github.takeViolations()];
}

function rules(violations: readonly Violation[], operation: string): string {
  assert.ok(violations.length > 0, "no violation recorded");
  for (const violation of violations) assert.equal(violation.operation, operation);
  return violations.map((violation) => violation.rule).join("\n");
}

describe(`the fake GitHub refuses what GitHub refuses (@octokit/openapi ${OPENAPI_VERSION})`, () => {
  let github: FakeGitHub;
  let octokit: ReturnType<typeof getOctokit>;
  let checkRunId: number;

  before(async () => {
    github = await startFakeGitHub({
      pullRequest: {
        number: 7,
        baseSha: "b".repeat(40),
        headSha: HEAD,
        files: [{ filename: DRIVER, status: "modified", patch: PATCH }],
      },
    });
    octokit = getOctokit("token", { baseUrl: github.url });
    const { data } = await octokit.rest.checks.create({
      ...repository,
      name: "msi-ownership",
      head_sha: HEAD,
    });
    checkRunId = data.id;
  });
  afterEach(() => github.assertNoViolations());
  after(() => github.close());

  const annotation = { path: DRIVER, start_line: 11, end_line: 11, message: "m" };
  const update = (output: object) => () =>
    octokit.rest.checks.update({ ...repository, check_run_id: checkRunId, output: output as never });

  test("an annotation_level the API does not know (422, checks/update)", async () => {
    const [status, violations] = await refused(
      github,
      update({ title: "t", summary: "s", annotations: [{ ...annotation, annotation_level: "fatal" }] }),
    );
    assert.equal(status, 422);
    assert.match(
      rules(violations, "checks/update"),
      /annotations\/0\/annotation_level .*notice, warning, failure/,
    );
    assert.equal(github.checkRuns[0]?.annotations.length, 0, "nothing stored");
  });

  test("51 annotations in one request (422), where 50 are taken", async () => {
    const many = (count: number) =>
      Array.from({ length: count }, (_, index) => ({
        ...annotation,
        start_line: index + 1,
        end_line: index + 1,
        annotation_level: "warning",
      }));
    const [status, violations] = await refused(
      github,
      update({ title: "t", summary: "s", annotations: many(51) }),
    );
    assert.equal(status, 422);
    assert.match(rules(violations, "checks/update"), /annotations has 51 items; at most 50 a request/);
    await update({ title: "t", summary: "s", annotations: many(50) })();
    assert.equal(github.checkRuns[0]?.annotations.length, 50);
  });

  test("an annotation title over 255 characters, or columns on an annotation that spans lines (422)", async () => {
    const [status, violations] = await refused(
      github,
      update({
        title: "t",
        summary: "s",
        annotations: [
          { ...annotation, annotation_level: "notice", title: "t".repeat(256) },
          { ...annotation, annotation_level: "notice", end_line: 12, start_column: 2, end_column: 5 },
        ],
      }),
    );
    assert.equal(status, 422);
    const text = rules(violations, "checks/update");
    assert.match(text, /annotations\/0\/title is longer than 255 characters/);
    assert.match(text, /annotations\/1 has columns but spans lines/);
  });

  test("a 70,000-character summary (422); 65,535 is taken", async () => {
    const [status, violations] = await refused(github, update({ title: "t", summary: "x".repeat(70_000) }));
    assert.equal(status, 422);
    assert.match(
      rules(violations, "checks/update"),
      /output\/summary must NOT have more than 65535 characters/,
    );
    await update({ title: "t", summary: "x".repeat(65_535) })();
  });

  test("completing a check run without a conclusion (422)", async () => {
    const [status, violations] = await refused(github, () =>
      octokit.rest.checks.update({ ...repository, check_run_id: checkRunId, status: "completed" }),
    );
    assert.equal(status, 422);
    assert.match(rules(violations, "checks/update"), /conclusion is required/);
  });

  test("a review with one comment off the diff is refused whole (422)", async () => {
    const [status, violations] = await refused(github, () =>
      octokit.rest.pulls.createReview({
        ...repository,
        pull_number: 7,
        commit_id: HEAD,
        event: "COMMENT",
        comments: [
          { path: DRIVER, line: 41, body: "on the diff" },
          { path: DRIVER, line: 25, body: "between the hunks" },
        ],
      }),
    );
    assert.equal(status, 422);
    assert.match(
      rules(violations, "pulls/create-review"),
      /comments\/1: line 25 \(RIGHT\) is not in the diff/,
    );
    assert.deepEqual(github.reviewComments, [], "no comment of the review was posted");
  });

  test("a single review comment at a position past the diff, or on a file not in it (422)", async () => {
    for (const [comment, rule] of [
      [{ path: DRIVER, position: 9 }, /position 9 is not in the diff/],
      [{ path: "drivers/other.c", position: 1 }, /path drivers\/other\.c is not a file of the pull request/],
    ] as const) {
      const [status, violations] = await refused(github, () =>
        octokit.rest.pulls.createReviewComment({
          ...repository,
          pull_number: 7,
          commit_id: HEAD,
          body: "b",
          ...comment,
        } as never),
      );
      assert.equal(status, 422);
      assert.match(rules(violations, "pulls/create-review-comment"), rule);
    }
  });

  test("an issue body over 65,536 characters (422); 65,536 is taken", async () => {
    const [status, violations] = await refused(github, () =>
      octokit.rest.issues.create({ ...repository, title: "t", body: "x".repeat(MAX_BODY_CHARACTERS + 1) }),
    );
    assert.equal(status, 422);
    assert.match(
      rules(violations, "issues/create"),
      /body is too long \(65537 characters; maximum is 65536\)/,
    );
    const { data } = await octokit.rest.issues.create({
      ...repository,
      title: "t",
      body: "x".repeat(MAX_BODY_CHARACTERS),
    });
    assert.equal(
      github.issues.find((issue) => issue.number === data.number)?.body.length,
      MAX_BODY_CHARACTERS,
    );
  });

  test("a wrong enum in the query (422) and a route GitHub does not have (404)", async () => {
    const [status, violations] = await refused(github, () =>
      octokit.request("GET /repos/{owner}/{repo}/issues", { ...repository, state: "merged" as never }),
    );
    assert.equal(status, 422);
    assert.match(
      rules(violations, "issues/list-for-repo"),
      /query parameter \/state must be equal to one of/,
    );
    const [missing, unknown] = await refused(github, () =>
      octokit.request("POST /repos/{owner}/{repo}/check-suites/{id}/annotations", { ...repository, id: 1 }),
    );
    assert.equal(missing, 404);
    assert.match(rules(unknown, "POST /repos/acme/linux/check-suites/1/annotations"), /no such route/);
  });

  test("a required body left out (422)", async () => {
    const [status, violations] = await refused(github, () =>
      octokit.request("POST /repos/{owner}/{repo}/issues", repository as never),
    );
    assert.equal(status, 422);
    assert.match(
      rules(violations, "issues/create"),
      /request body must have required property 'title'|body is required/,
    );
  });
});

describe("the fake's own answers are refereed too", () => {
  test("an answer GitHub could not give is a violation, and close() fails naming it", async () => {
    const github = await startFakeGitHub({
      intercept: (request) =>
        request.operationId === "checks/create" ? { status: 201, body: { id: 1 } } : undefined,
    });
    const octokit = getOctokit("token", { baseUrl: github.url });
    await octokit.rest.checks.create({ ...repository, name: "n", head_sha: HEAD });
    await assert.rejects(
      github.close(),
      /checks\/create: the fake's answer: response 201 body must have required property 'head_sha'/,
    );
  });
});

describe("routing and diff lines", () => {
  test("a literal segment wins over a parameter, as GitHub routes", () => {
    assert.equal(
      findOperation("PATCH", "/repos/a/b/issues/comments/5")?.operation.id,
      "issues/update-comment",
    );
    assert.equal(findOperation("PATCH", "/repos/a/b/issues/5")?.operation.id, "issues/update");
    assert.deepEqual(findOperation("PATCH", "/repos/a/b/check-runs/9")?.params, {
      owner: "a",
      repo: "b",
      check_run_id: "9",
    });
    assert.equal(findOperation("GET", "/repos/a/b/no-such-thing"), undefined);
  });

  test("positions count every line below the first hunk header, later headers included", () => {
    assert.deepEqual(
      diffLinesOf(PATCH).map((line) => [line.position, line.side, line.line]),
      [
        [1, "RIGHT", 10],
        [2, "RIGHT", 11],
        [3, "LEFT", 11],
        [4, "RIGHT", 12],
        [6, "RIGHT", 40],
        [7, "RIGHT", 41],
      ],
    );
    const patches = new Map([[DRIVER, PATCH]]);
    assert.equal(reviewCommentViolation(patches, { path: DRIVER, line: 11, side: "LEFT" }), undefined);
    assert.equal(reviewCommentViolation(patches, { path: DRIVER, position: 7 }), undefined);
    assert.match(
      String(reviewCommentViolation(patches, { path: DRIVER, line: 13, side: "LEFT" })),
      /not in the diff/,
    );
  });
});

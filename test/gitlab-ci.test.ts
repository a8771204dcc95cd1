/**
 * The GitLab CI pipeline in the README is complete: it parses, and has the merge request job that
 * runs `check` against the merge request's base and uploads a Code Quality report, the Danger
 * job, and the scheduled audit with the Markdown summary as an artifact.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

interface Job {
  stage?: string;
  rules?: { if?: string }[];
  script?: string[];
  variables?: Record<string, string>;
  artifacts?: { paths?: string[]; reports?: { codequality?: string } };
}

describe("the README's GitLab CI pipeline", () => {
  const block = [...README.matchAll(/```yaml\n(# \.gitlab-ci\.yml\n[\s\S]*?)```/g)].map(
    (m) => m[1] as string,
  );

  it("is one complete pipeline with its stages", () => {
    assert.equal(block.length, 1);
    const pipeline = parse(block[0] as string) as Record<string, unknown>;
    const stages = pipeline.stages as string[];
    for (const [name, job] of Object.entries(pipeline).filter(([key]) => key.startsWith("msi-ownership")))
      assert.ok(stages.includes((job as Job).stage ?? ""), `${name}: unknown stage`);
  });

  it("gates merge requests with check against the diff base, with a Code Quality report", () => {
    const pipeline = parse(block[0] as string) as Record<string, Job>;
    const check = pipeline["msi-ownership"] as Job;
    assert.match(check.rules?.[0]?.if ?? "", /merge_request_event/);
    const command = check.script?.find((line) => / check /.test(line)) ?? "";
    assert.match(command, /--base "\$CI_MERGE_REQUEST_DIFF_BASE_SHA"/);
    assert.match(command, /--format codequality --output gl-code-quality-report\.json/);
    assert.equal(check.artifacts?.reports?.codequality, "gl-code-quality-report.json");
    const danger = pipeline["msi-ownership-danger"] as Job;
    assert.match(
      danger.script?.join("\n") ?? "",
      /danger@14 ci --id msi-ownership --failOnErrors --dangerfile/,
    );
    assert.equal(danger.variables?.DANGER_GITLAB_HOST, "$CI_SERVER_URL");
    const audit = pipeline["msi-ownership-audit"] as Job;
    assert.match(audit.rules?.[0]?.if ?? "", /schedule/);
    assert.match(audit.script?.join("\n") ?? "", /--format markdown --output msi-ownership\.md/);
    assert.ok(audit.artifacts?.paths?.includes("msi-ownership.md"));
  });
});

/**
 * Linux 6.12's whole-tree audit through the action, as the scheduled workflow runs it, against
 * the refereed fake GitHub: the tracking issue it creates and then updates is one GitHub takes,
 * and the job summary stays within what GitHub shows.
 */
import assert from "node:assert/strict";

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { DEFAULT_API_POLICY } from "../src/github/checks.js";
import { TRACKING_MARKER } from "../src/github/tracking.js";
import { needsConversionCount } from "../src/report/markdown.js";
import type { Report } from "../src/report/types.js";
import { startFakeGitHub } from "./helpers/fake-github.js";
import { MAX_BODY_CHARACTERS, MAX_STEP_SUMMARY_BYTES } from "./helpers/github-limits.js";
import { runActionSource, type ActionRun } from "./helpers/run-action-source.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const TREE = KERNEL_TREE;

describeKernelTree("the Linux 6.12 audit on GitHub", () => {
  it("creates and then updates a tracking issue GitHub accepts; the job summary fits", async (t) => {
    const scratch = await mkdtemp(join(tmpdir(), "msi-github-6.12-"));
    const github = await startFakeGitHub({ owner: "acme", repo: "linux" });
    const runs: ActionRun[] = [];
    try {
      for (let run = 0; run < 2; run++) {
        runs.push(
          await runActionSource({
            // One runner directory: the second run finds the facts cache of the first.
            runner: join(scratch, "runner"),
            workspace: TREE as string,
            apiUrl: github.url,
            token: "ghs_kernelTreeToken0123456789",
            repository: "acme/linux",
            eventName: "schedule",
            payload: { schedule: "0 6 * * 1" },
            inputs: { "tracking-issue": "MSI vector ownership: drivers to convert", "fail-on": "never" },
            policy: DEFAULT_API_POLICY,
          }),
        );
      }
      github.assertNoViolations();
    } finally {
      await github.close().finally(() => rm(scratch, { recursive: true, force: true }));
    }
    for (const run of runs) {
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.doesNotMatch(run.stdout, /tracking issue was not updated/);
    }
    const writes = github.requests.filter((request) => request.method !== "GET");
    assert.deepEqual(
      writes.map((request) => request.operationId),
      ["issues/create", "issues/update"],
    );
    assert.equal(github.issues.length, 1);
    const body = github.issues[0]?.body ?? "";
    assert.ok(body.startsWith(TRACKING_MARKER));
    assert.ok(body.length <= MAX_BODY_CHARACTERS, `${body.length} characters`);
    const report = JSON.parse(runs[1]?.report ?? "{}") as Report;
    const toConvert = needsConversionCount(report.summary);
    assert.ok(toConvert > 50, `${toConvert} drivers to convert`);
    assert.match(body, new RegExp(`### Checklist: ${toConvert} to convert`));
    const summary = runs[1]?.summary ?? "";
    assert.match(summary, /^## /m);
    assert.ok(Buffer.byteLength(summary) <= MAX_STEP_SUMMARY_BYTES, `${Buffer.byteLength(summary)} bytes`);
    t.diagnostic(
      `6.12: tracking issue ${body.length} characters, job summary ${Buffer.byteLength(summary)} bytes, ${toConvert} drivers to convert`,
    );
  });
});

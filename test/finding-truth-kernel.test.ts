/**
 * Every finding true at its line, on Linux 6.12 (KERNEL_TREE): each evidence step names what
 * stands at its file:line; no edit in the JSON report, SARIF or a `fix` patch touches a release
 * that the classification puts on a path where it is needed; and the report, SARIF, Danger's
 * suggestions and `fix` propose the same edits for the same finding.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, it } from "node:test";
import { analyze } from "../src/analyze.js";
import { suggestedLine } from "../src/danger/review.js";
import { buildPatches, type FixResult } from "../src/fix/index.js";
import { parseFile } from "../src/fix/syntax.js";
import { deletable } from "../src/model/classify.js";
import { ModuleOwnership } from "../src/model/ownership.js";
import { toSarif } from "../src/report/sarif.js";
import type { Edit, Finding, Report } from "../src/report/types.js";
import { FsSource } from "../src/scan/source.js";
import { removedLines } from "./helpers/patch-lines.js";
import { describeKernelTree, KERNEL_TREE } from "./helpers/kernel-tree.js";

const TREE = KERNEL_TREE;

function editedLines(edit: Edit): number[] {
  const last = edit.endColumn === 1 ? edit.endLine - 1 : edit.endLine;
  return Array.from({ length: last - edit.startLine + 1 }, (_, index) => edit.startLine + index);
}

describeKernelTree("finding truth on Linux 6.12", () => {
  let report: Report;
  let patches: FixResult;
  const lines = new Map<string, string[]>();
  const linesOf = (file: string): string[] => {
    let cached = lines.get(file);
    if (cached === undefined) {
      cached = readFileSync(join(TREE as string, file), "latin1").split("\n");
      lines.set(file, cached);
    }
    return cached;
  };
  const findings = (): Finding[] => report.drivers.flatMap((driver) => driver.findings);

  before(async () => {
    const source = await FsSource.open(TREE as string);
    report = await analyze(source, { paths: ["drivers"] });
    patches = await buildPatches(report, async (path) => (await source.read(path))?.toString("latin1"), {
      assumePcimApi: false,
      from: "T <t@example.com>",
      date: new Date(0),
      signature: "test",
    });
  });

  it("names, at every evidence step's file:line:column, the call or function it claims", () => {
    let steps = 0;
    for (const finding of findings()) {
      for (const step of finding.evidence) {
        const text = linesOf(step.file)[step.line - 1] ?? "";
        const name =
          step.role === "entry" ? step.function : (/^\s*([A-Za-z_]\w*)/.exec(step.text)?.[1] ?? "");
        const at = text.slice(step.column - 1);
        // devm_add_action(dev, pci_free_irq_vectors, pdev): the release is the registered callback.
        const registered = /^devm_add_action/.test(at) && new RegExp(`\\b${name}\\b`).test(at);
        assert.ok(
          at.startsWith(name) || registered,
          `${step.file}:${step.line}:${step.column} should show ${name} (${step.role}) in ${finding.fingerprint}: ${text}`,
        );
        steps++;
      }
    }
    assert.ok(steps > 300, `${steps} evidence steps checked`);
  });

  it("never proposes to delete a release the classification needs elsewhere", async () => {
    const byModule = new Map<string, { files: string[]; findings: Finding[] }>();
    for (const driver of report.drivers) {
      const key = `${driver.unit}\0${driver.module}`;
      const entry = byModule.get(key) ?? { files: driver.files, findings: [] };
      entry.findings.push(...driver.findings);
      byModule.set(key, entry);
    }
    const patched = new Map(patches.patches.map((patch) => [`${patch.unit}\0`, patch]));
    let releases = 0;
    let kept = 0;
    for (const [key, module] of byModule) {
      const patch = [...patched.entries()].find(([unit]) => key.startsWith(unit))?.[1];
      const edited = module.findings.flatMap((finding) => finding.fix.edits);
      if (edited.length === 0 && patch === undefined) continue;
      const files = module.files.map((file) =>
        parseFile(file, readFileSync(join(TREE as string, file), "latin1")),
      );
      const model = new ModuleOwnership(
        { unit: "", module: "", sources: module.files, files: files.map((file) => file.facts) },
        { pcimAllocIrqVectors: false, era: 1 },
      );
      const removed = patch === undefined ? new Map<string, Set<number>>() : removedLines(patch.text);
      files.forEach((file, fileIndex) => {
        file.facts.calls.forEach((call, callIndex) => {
          if (call.role !== "release" || call.fn < 0) return;
          releases++;
          const classified = model.classifier.classify({ file: fileIndex, call: callIndex });
          if (deletable(classified)) return;
          kept++;
          const where = `${file.path}:${call.line}`;
          for (const edit of edited.filter((candidate) => candidate.file === file.path))
            assert.ok(
              !editedLines(edit).includes(call.line),
              `${where}: an edit deletes a release that is needed`,
            );
          assert.ok(
            !removed.get(file.path)?.has(call.line),
            `${where}: a patch deletes a release that is needed`,
          );
        });
      });
    }
    assert.ok(releases > 50 && kept >= 5, `${releases} releases, ${kept} kept`);
  });

  it("proposes the same edits in the report, SARIF, Danger and fix", () => {
    const sarif = toSarif(report);
    const results = new Map(
      (sarif.runs[0]?.results ?? []).map((result) => [
        Object.values(result.partialFingerprints ?? {})[0],
        result,
      ]),
    );
    const removedByFile = new Map<string, Set<number>>();
    for (const patch of patches.patches)
      for (const [file, set] of removedLines(patch.text)) removedByFile.set(file, set);
    let compared = 0;
    for (const finding of findings()) {
      const result = results.get(finding.fingerprint);
      assert.ok(result, finding.fingerprint);
      const regions = (result.fixes ?? []).flatMap((fix) =>
        fix.artifactChanges.flatMap((change) =>
          change.replacements.map((replacement) => replacement.deletedRegion),
        ),
      );
      assert.deepEqual(
        regions,
        finding.fix.edits.map((edit) => ({
          startLine: edit.startLine,
          startColumn: edit.startColumn,
          endLine: edit.endLine,
          endColumn: edit.endColumn,
        })),
      );
      if (finding.fix.edits.length === 0 || finding.ruleId === "msi-implicit-managed") continue;
      // fix deletes those lines (and may tidy what they leave behind).
      for (const edit of finding.fix.edits)
        for (const line of editedLines(edit))
          assert.ok(removedByFile.get(edit.file)?.has(line), `${edit.file}:${line}: the fix patch keeps it`);
      // Danger suggests the same deletion where the edit is the finding's own line.
      const edit = finding.fix.edits[0] as Edit;
      if (edit.startLine === finding.line && edit.endLine === finding.line + 1) {
        const text = linesOf(finding.file)[finding.line - 1] ?? "";
        assert.equal(suggestedLine(finding.fix.edits, finding.file, finding.line, text), "");
      }
      compared++;
    }
    assert.ok(compared > 20, `${compared} findings with edits compared`);
  });
});

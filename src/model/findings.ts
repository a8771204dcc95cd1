/**
 * Findings of one driver: the rule, where, the evidence chain (enable → allocate → how the
 * release is reached → release) and the fix, with a fingerprint that survives unrelated edits.
 */
import { createHash } from "node:crypto";
import { convertFix, removeReleaseFix } from "../fix/edits.js";
import type { Evidence, Finding, Fix } from "../report/types.js";
import {
  convertedDoubleRelease,
  doubleRelease,
  implicitManaged,
  leaksAtDetach,
  type Rule,
} from "../rules/index.js";
import type { CallRef } from "./graph.js";
import type { DeviceOwnership, DriverOwnership, ModuleOwnership } from "./ownership.js";

function fingerprintOf(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 32);
}

const REACH_WORDS: Record<string, string> = {
  remove: "on the remove path",
  shutdown: "on the shutdown path",
  "devm-action": "in a devm action run at detach",
  probe: "on a probe error path after the allocation",
  indirect: "in teardown code called through a pointer",
  pm: "in a PM callback",
};

export function buildFindings(model: ModuleOwnership, driver: DriverOwnership): Finding[] {
  const findings: Finding[] = [];
  const occurrences = new Map<string, number>();
  const push = (rule: Rule, at: CallRef, message: string, evidence: Evidence[], fix: Fix): void => {
    const call = model.graph.call(at);
    const fnName = call.fn >= 0 ? model.graph.fn({ file: at.file, fn: call.fn }).name : "";
    const identity = [
      rule.id,
      model.input.unit,
      driver.driver ?? "",
      model.graph.path(at.file),
      fnName,
      call.callee,
      call.args[0] ?? "",
    ];
    const base = identity.join("\0");
    const occurrence = occurrences.get(base) ?? 0;
    occurrences.set(base, occurrence + 1);
    findings.push({
      ruleId: rule.id,
      severity: rule.severity,
      file: model.graph.path(at.file),
      line: call.line,
      column: call.column,
      message,
      evidence,
      fingerprint: fingerprintOf([...identity, String(occurrence)]),
      fix,
    });
  };

  for (const device of driver.devices) {
    const enable = device.managedEnable[0];
    const teardown = device.releases.filter((release) => release.kind === "teardown");
    const enableEvidence = enable === undefined ? [] : [model.evidence(enable)];
    const where = (ref: CallRef): string => {
      const call = model.graph.call(ref);
      return `${model.graph.path(ref.file)}:${call.line}`;
    };
    if (device.status === "double-release" || device.status === "converted-double-release") {
      const converted = device.status === "converted-double-release";
      const alloc = (converted ? device.managedAllocs : device.hybridAllocs)[0] as CallRef;
      const allocCall = model.graph.call(alloc);
      for (const release of teardown) {
        const call = model.graph.call(release.call);
        const owner = converted
          ? `${allocCall.callee}() (${where(alloc)}) hands them to devres`
          : `the device is enabled with pcim_enable_device() (${enable === undefined ? "?" : where(enable)}), so ${allocCall.callee}() (${where(alloc)}) made them devres-managed`;
        const message = `${call.callee}() ${REACH_WORDS[release.reach.kind]} releases MSI vectors that devres releases again at detach: ${owner}`;
        const evidence = [
          ...(converted ? [] : enableEvidence),
          model.evidence(alloc),
          ...model.reachEvidence(release.reach),
          model.evidence(release.call),
        ];
        push(
          converted ? convertedDoubleRelease : doubleRelease,
          release.call,
          message,
          evidence,
          removeReleaseFix(model.graph.path(release.call.file), model.graph.call(release.call)),
        );
      }
    } else if (device.status === "implicit-managed") {
      for (const alloc of device.hybridAllocs) {
        const call = model.graph.call(alloc);
        const message = `${call.callee}() allocates MSI vectors on a device enabled with pcim_enable_device() (${enable === undefined ? "?" : where(enable)}) and nothing releases them: the driver relies on the hidden devres cleanup; use pcim_alloc_irq_vectors()`;
        push(
          implicitManaged,
          alloc,
          message,
          [...enableEvidence, model.evidence(alloc)],
          convertFix(model.graph.path(alloc.file), call, model.traits.pcimAllocIrqVectors),
        );
      }
    } else if (device.status === "leaks-at-detach") {
      // One leak per device, shown at its first allocation; the others are in the evidence.
      const alloc = device.hybridAllocs[0] as CallRef;
      const call = model.graph.call(alloc);
      const message = `${call.callee}() allocates MSI vectors on a device enabled with pcim_enable_device() (${enable === undefined ? "?" : where(enable)}), and nothing releases them at detach: this tree's PCI/MSI core no longer registers the hybrid devres release, and the driver frees them neither on remove nor on its probe error paths, so the next bind fails`;
      const fixes = device.hybridAllocs.map((ref) =>
        convertFix(model.graph.path(ref.file), model.graph.call(ref), model.traits.pcimAllocIrqVectors),
      );
      const mechanical = fixes.every((fix) => fix.edits.length > 0);
      push(
        leaksAtDetach,
        alloc,
        message,
        [...enableEvidence, ...device.hybridAllocs.map((ref) => model.evidence(ref))],
        { description: leaksAtDetach.fix, edits: mechanical ? fixes.flatMap((fix) => fix.edits) : [] },
      );
    }
  }
  return findings.sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column,
  );
}

export type { DeviceOwnership };

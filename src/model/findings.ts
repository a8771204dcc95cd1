/**
 * Findings of one driver, read off the classification of its releases: the rule, where, the
 * evidence chain (enable → allocate → how the release is reached → release), the message and
 * the edits, with a fingerprint that survives unrelated edits. A release gets a deletion only
 * when every path to it is a teardown; a line shared with a path where it is needed gets the
 * finding and advice, never an edit.
 */
import { createHash } from "node:crypto";
import { releasesKind } from "../catalog.js";
import { convertFix, keepReleaseFix, removeReleaseFix } from "../fix/edits.js";
import type { Evidence, Finding, Fix, PathKind } from "../report/types.js";
import {
  convertedDoubleRelease,
  doubleRelease,
  implicitManaged,
  leaksAtDetach,
  type Rule,
} from "../rules/index.js";
import {
  deletable,
  isTeardown,
  needsRelease,
  type ClassifiedRelease,
  type DriverRelease,
  type ReleasePath,
} from "./classify.js";
import type { CallRef } from "./graph.js";
import type { DeviceOwnership, DriverOwnership, ModuleOwnership } from "./ownership.js";

function fingerprintOf(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 32);
}

/** The plainest teardown path first: remove, then a devm action, then a probe error path. */
const TEARDOWN_ORDER: readonly PathKind[] = ["remove", "devm-action", "probe-error"];

export function buildFindings(model: ModuleOwnership, driver: DriverOwnership): Finding[] {
  const findings: Finding[] = [];
  const occurrences = new Map<string, number>();
  const where = (ref: CallRef): string => `${model.graph.path(ref.file)}:${model.graph.call(ref).line}`;
  const entryName = (path: ReleasePath): string => `${model.graph.fn(path.entry).name}()`;
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

  /** "on the remove path (foo_remove(), the .remove of foo_driver)". */
  const teardownWords = (path: ReleasePath, release: CallRef): string => {
    switch (path.kind) {
      case "remove":
        return `on the remove path (${entryName(path)}, ${path.via})`;
      case "probe-error":
        return `on an error path of ${entryName(path)} after the allocation`;
      default:
        return model.graph.call(release).devmAction === true
          ? `registered as a devm action in ${entryName(path)}`
          : `in ${entryName(path)} (${path.via})`;
    }
  };

  for (const device of driver.devices) {
    const enable = device.managedEnable[0];
    const enableEvidence = enable === undefined ? [] : [model.evidence(enable)];
    if (device.status === "double-release" || device.status === "converted-double-release") {
      const converted = device.status === "converted-double-release";
      const allocations = converted ? device.managedAllocs : device.hybridAllocs;
      for (const release of device.releases) {
        const teardown = release.paths
          .filter(isTeardown)
          .sort(
            (a, b) =>
              TEARDOWN_ORDER.indexOf(a.kind) - TEARDOWN_ORDER.indexOf(b.kind) ||
              a.chain.length - b.chain.length,
          )[0];
        if (teardown === undefined) continue;
        const alloc = pairedAllocation(model, allocations, release, teardown);
        if (alloc === undefined) continue;
        const call = model.graph.call(release.call);
        const allocCall = model.graph.call(alloc);
        const owner = converted
          ? `${allocCall.callee}() at ${where(alloc)} hands the vectors to devres`
          : `the device is enabled with pcim_enable_device() at ${enable === undefined ? "?" : where(enable)}, which made the vectors of ${allocCall.callee}() at ${where(alloc)} devres-managed`;
        const redundant = `${call.callee}() ${teardownWords(teardown, release.call)} is redundant: ${owner}, and devres releases them again when the driver detaches (a no-op today)`;
        const others = otherPaths(release);
        const evidence = [
          ...(converted ? [] : enableEvidence),
          model.evidence(alloc),
          ...model.pathEvidence(teardown),
          model.evidence(release.call),
          ...others.flatMap((path) => model.pathEvidence(path).slice(0, 1)),
        ];
        const rule = converted ? convertedDoubleRelease : doubleRelease;
        const path = model.graph.path(release.call.file);
        if (others.length === 0 && deletable(release.all)) {
          push(rule, release.call, `${redundant}.`, evidence, removeReleaseFix(path, call));
          continue;
        }
        // The first two ways say enough; the evidence lists every one.
        const named = others.slice(0, 2).map((other) => neededWords(other, entryName(other)));
        if (others.length > 2) named.push(`${others.length - 2} more way${others.length > 3 ? "s" : ""}`);
        const needed = named.join(", and ");
        const advice = sharedAdvice(model, release, teardown, others[0] as ReleasePath);
        push(
          rule,
          release.call,
          `${redundant}; but the same line also runs ${needed}, where the release is needed: do not delete it; ${advice}.`,
          evidence,
          keepReleaseFix(advice),
        );
      }
    } else if (device.status === "implicit-managed") {
      for (const alloc of device.hybridAllocs) {
        const call = model.graph.call(alloc);
        const fix = convertFix(model.graph.path(alloc.file), call, model.traits.pcimAllocIrqVectors);
        const message = `${call.callee}() allocates MSI vectors on a device enabled with pcim_enable_device() at ${enable === undefined ? "?" : where(enable)}, and no teardown path releases them: the driver relies on the implicit devres cleanup, which upstream is removing. ${fix.description}`;
        push(implicitManaged, alloc, message, [...enableEvidence, model.evidence(alloc)], fix);
      }
    } else if (device.status === "leaks-at-detach") {
      // One leak per device, shown at its first allocation; the others are in the evidence.
      const alloc = device.hybridAllocs[0] as CallRef;
      const call = model.graph.call(alloc);
      const message = `${call.callee}() allocates MSI vectors on a device enabled with pcim_enable_device() at ${enable === undefined ? "?" : where(enable)}, and nothing releases them at detach: this tree's PCI/MSI core no longer registers the hybrid devres release, and no teardown path of the driver releases them, so the next bind fails to enable MSI.`;
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

/** The functions a path runs through, from its entry to the one holding the release. */
function functionsOf(model: ModuleOwnership, release: ClassifiedRelease, path: ReleasePath): string[] {
  return [
    ...path.chain.map((site) => model.graph.fn(model.graph.callerOf(site)).name),
    model.graph.fn(model.graph.callerOf(release.call)).name,
  ];
}

/**
 * What to do instead of deleting a shared line: where the teardown path and the other one
 * meet, the teardown path stops calling the shared function; when they meet at the entry
 * itself (`.shutdown = foo_remove`), the teardown callback gets a function of its own.
 */
function sharedAdvice(
  model: ModuleOwnership,
  release: ClassifiedRelease,
  teardown: ReleasePath,
  other: ReleasePath,
): string {
  const mine = functionsOf(model, release, teardown);
  const theirs = functionsOf(model, release, other);
  let shared = mine.length - 1;
  while (shared > 0 && mine[shared - 1] === theirs[theirs.length - mine.length + shared - 1]) shared--;
  const helper = mine[shared] as string;
  if (shared === 0 && teardown.kind === "devm-action")
    return `stop registering ${helper}() as a devm action (devres releases the vectors at detach), and keep calling it where ${theirs[0]}() needs it`;
  if (shared === 0)
    return `give ${teardown.via} a function of its own without the release, and keep ${helper}() as it is for ${theirs[0]}()`;
  return `stop calling ${helper}() from ${mine[shared - 1]}() (devres releases the vectors at detach), and keep it where ${theirs[0]}() needs it`;
}

/** The paths where the release is needed: every one that is not a teardown, each entry once. */
function otherPaths(release: DriverRelease): ReleasePath[] {
  const seen = new Set<string>();
  return release.all.paths.filter((path) => {
    const id = `${path.kind}:${path.entry.file}:${path.entry.fn}`;
    if (!needsRelease(path) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function neededWords(path: ReleasePath, entry: string): string {
  switch (path.kind) {
    case "re-allocation":
      return `on a path where ${entry} allocates again or falls back to INTx after it`;
    case "shutdown":
      return `on the shutdown path (${entry}, ${path.via}; devres does not run at shutdown)`;
    case "suspend":
      return `in ${entry}, ${path.via}`;
    case "runtime":
      return `in ${entry}, ${path.via}`;
    case "probe-continues":
      return `on a path of ${entry} that goes on to succeed`;
    case "nothing-allocated":
      return `on a path of ${entry} before any allocation`;
    default:
      return `from ${entry}, ${path.via}`;
  }
}

/**
 * The allocation a release undoes: of the same device and of a kind it releases
 * (pci_disable_msix() the MSI-X one), preferring one on the release's own path.
 */
function pairedAllocation(
  model: ModuleOwnership,
  allocations: readonly CallRef[],
  release: ClassifiedRelease,
  path: ReleasePath,
): CallRef | undefined {
  const kinds = releasesKind(model.graph.call(release.call));
  const candidates = allocations.filter((alloc) => kinds(model.graph.call(alloc)));
  const onPath = new Set([
    `${path.entry.file}:${path.entry.fn}`,
    ...path.chain.map((site) => `${site.file}:${model.graph.call(site).fn}`),
    `${release.call.file}:${model.graph.call(release.call).fn}`,
  ]);
  return (
    candidates.find((alloc) => onPath.has(`${alloc.file}:${model.graph.call(alloc).fn}`)) ??
    candidates.find((alloc) => alloc.file === release.call.file) ??
    candidates[0]
  );
}

/**
 * One finding per line: drivers of a module that share the code (two pci_drivers with one
 * probe) would each report the same line; the first keeps it and names the others.
 */
export function mergeSharedFindings(
  perDriver: readonly { driver?: string; findings: Finding[] }[],
): Finding[][] {
  const first = new Map<string, { finding: Finding; drivers: string[] }>();
  const kept = perDriver.map(({ driver, findings }) =>
    findings.filter((finding) => {
      const id = `${finding.ruleId}\0${finding.file}\0${finding.line}\0${finding.column}`;
      const known = first.get(id);
      if (known === undefined) {
        first.set(id, { finding, drivers: driver === undefined ? [] : [driver] });
        return true;
      }
      if (driver !== undefined && !known.drivers.includes(driver)) known.drivers.push(driver);
      return false;
    }),
  );
  for (const { finding, drivers } of first.values()) {
    if (drivers.length > 1)
      finding.message += ` The line serves ${drivers.slice(0, -1).join(", ")} and ${drivers.at(-1)}.`;
  }
  return kept;
}

export type { DeviceOwnership };

/**
 * The ownership model of one module: which calls run from probe, remove/shutdown, probe error
 * paths, devm actions and PM callbacks; which pci_dev each acts on; and from that, each driver's
 * status and findings with their evidence. Pure: FileFacts in, DriverReports out.
 */
import { catalogEntry, MSI_FLAGS } from "../catalog.js";
import type { CallSite, FileFacts } from "../parse/facts.js";
import { eraStatus } from "../era/status.js";
import type { DriverReport, Era, Evidence, Finding, Status } from "../report/types.js";
import { STATUSES } from "../report/types.js";
import { buildFindings } from "./findings.js";
import { ModuleGraph, type CallRef, type FunctionRef } from "./graph.js";

export interface ModuleInput {
  unit: string;
  module: string;
  /** Every C source of the module, as the report lists them. */
  sources: readonly string[];
  /** Facts of the sources that can matter (the prefilter leaves out the others). */
  files: readonly FileFacts[];
}

export interface TreeTraits {
  /** The tree has pcim_alloc_irq_vectors() (era 2 or 3). */
  pcimAllocIrqVectors: boolean;
  /** What the tree's PCI/MSI core makes of a driver's code (src/era/). */
  era: Era;
}

/** How code is entered: the driver callbacks of KERNEL.md, or an unknown caller. */
export type EntryKind = "probe" | "remove" | "shutdown" | "pm" | "devm-action" | "indirect";

/** One way a call is reached: the entry and the call sites from it down to the call. */
export interface Reach {
  kind: EntryKind;
  entry: FunctionRef;
  /** The function reached. */
  fn: FunctionRef;
  /** Call sites from the entry function down to (not including) the reached function. */
  chain: CallRef[];
  /** How the entry is known, for the evidence: `.remove of foo_driver`. */
  via: string;
}

/** Why an explicit release is or is not a teardown. */
export type ReleaseKind = "teardown" | "re-allocation" | "nothing-allocated" | "suspend";

export interface ClassifiedRelease {
  call: CallRef;
  kind: ReleaseKind;
  reach: Reach;
}

export interface DeviceOwnership {
  device: string;
  managedEnable: CallRef[];
  unmanagedEnable: CallRef[];
  hybridAllocs: CallRef[];
  managedAllocs: CallRef[];
  releases: ClassifiedRelease[];
  status: Status;
}

export interface DriverOwnership {
  driver?: string;
  devices: DeviceOwnership[];
  status: Status;
}

/** Which path a teardown release is shown on when several reach it: the plainest first. */
const TEARDOWN_EVIDENCE: readonly EntryKind[] = [
  "remove",
  "shutdown",
  "devm-action",
  "probe",
  "indirect",
  "pm",
];

const INTX_ONLY_FLAGS = new Set(["PCI_IRQ_INTX", "PCI_IRQ_LEGACY"]);
const MAX_CALL_DEPTH = 12;

function key(ref: CallRef | FunctionRef): string {
  return "call" in ref ? `${ref.file}/${ref.call}` : `${ref.file}:${ref.fn}`;
}

/** An allocation that sets up MSI or MSI-X (KERNEL.md: PCI_IRQ_INTX alone does not). */
export function allocatesMsi(call: CallSite): boolean {
  const entry = catalogEntry(call.callee);
  if (entry?.flagsArg === undefined) return true;
  const flags = call.args[entry.flagsArg];
  if (flags === undefined) return true;
  const names = flags.match(/\b[A-Za-z_]\w*\b/g) ?? [];
  if (names.some((name) => MSI_FLAGS.includes(name))) return true;
  return !(names.length > 0 && names.every((name) => INTX_ONLY_FLAGS.has(name)));
}

export class ModuleOwnership {
  readonly graph: ModuleGraph;
  private readonly allocatesMemo = new Map<string, boolean>();
  private readonly otherDeviceFields: Set<string>;

  constructor(
    readonly input: ModuleInput,
    readonly traits: TreeTraits,
  ) {
    this.graph = new ModuleGraph(input.files);
    this.otherDeviceFields = new Set(input.files.flatMap((file) => file.otherDeviceFields));
  }

  /** The pci_dev a catalog call acts on: the probed device, or `other:NAME` for a looked-up one. */
  deviceOf(ref: CallRef): string {
    const call = this.graph.call(ref);
    const entry = catalogEntry(call.callee);
    const argument = call.args[entry?.deviceArg ?? 0] ?? "";
    const names = argument.match(/\b[A-Za-z_]\w*\b/g) ?? [];
    const last = names.at(-1);
    if (last === undefined) return "probed";
    const locals = call.fn >= 0 ? this.graph.fn({ file: ref.file, fn: call.fn }).otherDeviceLocals : [];
    if (names.length === 1 && locals.includes(last)) return `other:${last}`;
    if (names.length > 1 && this.otherDeviceFields.has(last)) return `other:${last}`;
    return "probed";
  }

  private isAlloc(call: CallSite): boolean {
    return call.role === "hybrid-alloc" || call.role === "managed-alloc";
  }

  /** Whether calling this function may allocate vectors, directly or through its callees. */
  private allocates(ref: FunctionRef, depth = 0): boolean {
    const k = key(ref);
    const memo = this.allocatesMemo.get(k);
    if (memo !== undefined) return memo;
    this.allocatesMemo.set(k, false);
    let result = false;
    for (const callRef of this.graph.callsIn(ref)) {
      const call = this.graph.call(callRef);
      if (
        this.isAlloc(call) ||
        (depth < MAX_CALL_DEPTH &&
          this.graph.resolve(call.callee, ref.file).some((callee) => this.allocates(callee, depth + 1)))
      ) {
        result = true;
        break;
      }
    }
    this.allocatesMemo.set(k, result);
    return result;
  }

  /** A call node allocates: an allocator itself, or a call to a function that does. */
  private nodeAllocates(fnRef: FunctionRef, callIndex: number, msiOnly: boolean): boolean {
    const call = this.graph.call({ file: fnRef.file, call: callIndex });
    if (this.isAlloc(call)) return !msiOnly || allocatesMsi(call);
    if (call.role !== undefined) return false;
    return this.graph.resolve(call.callee, fnRef.file).some((callee) => this.allocates(callee));
  }

  /** Whether an allocation may run after `node` of the function at the end of `chain`. */
  private allocationFollows(fnRef: FunctionRef, node: number, chain: readonly CallRef[]): boolean {
    const { calls, boundary } = this.graph.walk(fnRef, node, "forward");
    if (calls.some((call) => this.nodeAllocates(fnRef, call, false))) return true;
    if (!boundary || chain.length === 0) return false;
    const caller = chain.at(-1) as CallRef;
    const callerFn = { file: caller.file, fn: this.graph.call(caller).fn };
    const callerNode = this.graph.nodeOf(caller);
    return callerNode !== undefined && this.allocationFollows(callerFn, callerNode, chain.slice(0, -1));
  }

  /** Whether an MSI allocation may have run before `node`. */
  private allocationPrecedes(fnRef: FunctionRef, node: number, chain: readonly CallRef[]): boolean {
    const { calls, boundary } = this.graph.walk(fnRef, node, "backward");
    if (calls.some((call) => this.nodeAllocates(fnRef, call, true))) return true;
    if (!boundary || chain.length === 0) return false;
    const caller = chain.at(-1) as CallRef;
    const callerFn = { file: caller.file, fn: this.graph.call(caller).fn };
    const callerNode = this.graph.nodeOf(caller);
    return callerNode !== undefined && this.allocationPrecedes(callerFn, callerNode, chain.slice(0, -1));
  }

  /**
   * Every function reached from the entry points, with the shortest chain of calls (breadth
   * first, so evidence chains are short). Keyed by function.
   */
  reachFrom(entries: readonly Reach[]): Map<string, Reach> {
    const reached = new Map<string, Reach>();
    const queue: { ref: FunctionRef; reach: Reach }[] = [];
    for (const reach of entries) {
      if (!reached.has(`${reach.kind}@${key(reach.entry)}`)) {
        reached.set(`${reach.kind}@${key(reach.entry)}`, reach);
        queue.push({ ref: reach.entry, reach });
      }
    }
    for (let i = 0; i < queue.length; i++) {
      const { ref, reach } = queue[i] as { ref: FunctionRef; reach: Reach };
      if (reach.chain.length >= MAX_CALL_DEPTH) continue;
      for (const callRef of this.graph.callsIn(ref)) {
        const call = this.graph.call(callRef);
        if (call.role !== undefined) continue;
        for (const callee of this.graph.resolve(call.callee, ref.file)) {
          const k = `${reach.kind}@${key(callee)}`;
          if (reached.has(k)) continue;
          const next: Reach = { ...reach, fn: callee, chain: [...reach.chain, callRef] };
          reached.set(k, next);
          queue.push({ ref: callee, reach: next });
        }
      }
    }
    return reached;
  }

  /** Entry points of one `struct pci_driver`, or of the whole module when it has none. */
  entriesOf(driver: FileFacts["drivers"][number] | undefined, fileIndex: number): Reach[] {
    const entries: Reach[] = [];
    const add = (kind: EntryKind, name: string | undefined, via: string): void => {
      if (name === undefined) return;
      for (const entry of this.graph.resolve(name, fileIndex))
        entries.push({ kind, entry, fn: entry, chain: [], via });
    };
    if (driver === undefined) {
      // No pci_driver in the module: its functions are called from elsewhere. Every function
      // that nothing in the module calls is an entry of unknown kind.
      const called = new Set<string>();
      for (const ref of this.graph.functions()) {
        for (const callRef of this.graph.callsIn(ref)) {
          for (const callee of this.graph.resolve(this.graph.call(callRef).callee, ref.file))
            called.add(key(callee));
        }
      }
      for (const ref of this.graph.functions()) {
        if (!called.has(key(ref)))
          entries.push({
            kind: "indirect",
            entry: ref,
            fn: ref,
            chain: [],
            via: "called from outside the module",
          });
      }
      return entries;
    }
    const label = driver.variable;
    add("probe", driver.probe, `.probe of ${label}`);
    add("remove", driver.remove, `.remove of ${label}`);
    add("shutdown", driver.shutdown, `.shutdown of ${label}`);
    const pmNames = new Set<string>();
    const moduleOps = this.input.files.flatMap((file) => file.pmOps);
    const named = moduleOps.filter((candidate) => driver.pm.includes(candidate.name));
    // `.driver.pm = FOO_PM_OPS` with `#define FOO_PM_OPS (&foo_pm_ops)`: the macro hides the
    // name, and the module's own dev_pm_ops are the ones its driver uses.
    const ops = named.length > 0 || driver.pm.length === 0 ? named : moduleOps;
    for (const name of driver.pm) pmNames.add(name);
    for (const op of ops) for (const callback of op.callbacks) pmNames.add(callback);
    for (const name of pmNames) add("pm", name, `PM callback of ${label}`);
    return entries;
  }

  /** devm actions registered from code reached by probe: they run at detach, like remove. */
  private devmEntries(reached: Map<string, Reach>): Reach[] {
    const entries: Reach[] = [];
    for (const reach of [...reached.values()].filter((candidate) => candidate.kind === "probe")) {
      const fnRef = reach.fn;
      for (const callRef of this.graph.callsIn(fnRef)) {
        const call = this.graph.call(callRef);
        if (!call.callee.startsWith("devm_add_action")) continue;
        const callback = (call.args[1] ?? "").match(/\b[A-Za-z_]\w*\b/g)?.at(-1);
        if (callback === undefined) continue;
        for (const entry of this.graph.resolve(callback, fnRef.file)) {
          entries.push({
            kind: "devm-action",
            entry,
            fn: entry,
            chain: [],
            via: `devm action registered in ${this.graph.fn(fnRef).name}()`,
          });
        }
      }
    }
    return entries;
  }

  private classifyRelease(callRef: CallRef, reach: Reach): ReleaseKind {
    const call = this.graph.call(callRef);
    if (call.devmAction === true) return "teardown";
    const fnRef = { file: callRef.file, fn: call.fn };
    const node = this.graph.nodeOf(callRef);
    if (node !== undefined && this.allocationFollows(fnRef, node, reach.chain)) return "re-allocation";
    switch (reach.kind) {
      case "remove":
      case "shutdown":
      case "devm-action":
        return "teardown";
      case "pm":
        return "suspend";
      case "probe":
      case "indirect":
        if (
          reach.kind === "probe" &&
          (node === undefined || !this.allocationPrecedes(fnRef, node, reach.chain))
        ) {
          return "nothing-allocated";
        }
        return "teardown";
    }
  }

  /** A module appears in the report when code in one of its functions calls the catalog. */
  callsCatalog(): boolean {
    return this.input.files.some((file) =>
      file.calls.some((call) => call.role !== undefined && call.fn >= 0),
    );
  }

  analyse(): DriverReport[] {
    if (!this.callsCatalog()) return [];
    const drivers = this.input.files.flatMap((file, fileIndex) =>
      file.drivers.map((driver) => ({ driver, fileIndex })),
    );
    const entrySets =
      drivers.length === 0
        ? [{ driver: undefined, entries: this.entriesOf(undefined, 0) }]
        : drivers.map(({ driver, fileIndex }) => ({
            driver: driver.variable,
            entries: this.entriesOf(driver, fileIndex),
          }));

    // Calls no driver reaches (through function pointers, work items) still belong to the
    // module: every driver of it gets them, as reached indirectly.
    const reachedByAny = new Set<string>();
    const perDriver = entrySets.map(({ driver, entries }) => {
      const reached = this.reachFrom(entries);
      const devm = this.devmEntries(reached);
      for (const [k, reach] of this.reachFrom(devm)) if (!reached.has(k)) reached.set(k, reach);
      for (const reach of reached.values()) reachedByAny.add(key(reach.fn));
      return { driver, reached };
    });
    const unreached: Reach[] = [];
    for (const ref of this.graph.functions()) {
      if (!reachedByAny.has(key(ref)))
        unreached.push({
          kind: "indirect",
          entry: ref,
          fn: ref,
          chain: [],
          via: "not called directly from a driver callback",
        });
    }

    const reports: DriverReport[] = [];
    for (const { driver, reached } of perDriver) {
      for (const reach of unreached) reached.set(`indirect@${key(reach.entry)}`, reach);
      const ownership = this.driverOwnership(driver, reached);
      const findings: Finding[] = buildFindings(this, ownership);
      const report: DriverReport = {
        unit: this.input.unit,
        module: this.input.module,
        files: [...this.input.sources],
        status: ownership.status,
        findings,
      };
      if (driver !== undefined) report.driver = driver;
      reports.push(report);
    }
    return reports;
  }

  private driverOwnership(driver: string | undefined, reached: Map<string, Reach>): DriverOwnership {
    const byDevice = new Map<string, DeviceOwnership>();
    const device = (name: string): DeviceOwnership => {
      let ownership = byDevice.get(name);
      if (ownership === undefined) {
        ownership = {
          device: name,
          managedEnable: [],
          unmanagedEnable: [],
          hybridAllocs: [],
          managedAllocs: [],
          releases: [],
          status: "no-msi",
        };
        byDevice.set(name, ownership);
      }
      return ownership;
    };
    const seenRelease = new Map<string, ClassifiedRelease>();
    const counted = new Set<string>();
    // Probe first, so the evidence for a call prefers the probe path; then teardown paths.
    const order: EntryKind[] = ["probe", "remove", "shutdown", "devm-action", "pm", "indirect"];
    const reaches = [...reached.values()].sort(
      (a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.chain.length - b.chain.length,
    );
    for (const reach of reaches) {
      const fnRef = reach.fn;
      for (const callRef of this.graph.callsIn(fnRef)) {
        const call = this.graph.call(callRef);
        if (call.role === undefined) continue;
        // The API's own definitions (pcim_alloc_irq_vectors() calling pci_alloc_irq_vectors_affinity()
        // in the PCI/MSI core) implement it; they do not use it.
        if (catalogEntry(this.graph.fn(fnRef).name) !== undefined) continue;
        const ownership = device(this.deviceOf(callRef));
        const k = key(callRef);
        if (call.role === "release") {
          const kind = this.classifyRelease(callRef, reach);
          const previous = seenRelease.get(k);
          // A release is a teardown if any way of reaching it is.
          if (previous === undefined) {
            const classified = { call: callRef, kind, reach };
            seenRelease.set(k, classified);
            ownership.releases.push(classified);
          } else if (
            kind === "teardown" &&
            (previous.kind !== "teardown" ||
              TEARDOWN_EVIDENCE.indexOf(reach.kind) < TEARDOWN_EVIDENCE.indexOf(previous.reach.kind))
          ) {
            previous.kind = kind;
            previous.reach = reach;
          }
          continue;
        }
        if (counted.has(k)) continue;
        counted.add(k);
        if (call.role === "managed-enable") ownership.managedEnable.push(callRef);
        else if (call.role === "unmanaged-enable") ownership.unmanagedEnable.push(callRef);
        else if (call.role === "managed-alloc") ownership.managedAllocs.push(callRef);
        else if (call.role === "hybrid-alloc" && allocatesMsi(call)) ownership.hybridAllocs.push(callRef);
      }
    }
    for (const ownership of byDevice.values())
      ownership.status = eraStatus(this.deviceStatus(ownership), this.traits.era);
    const devices = [...byDevice.values()];
    const status = devices.reduce<Status>(
      (worst, current) =>
        STATUSES.indexOf(current.status) < STATUSES.indexOf(worst) ? current.status : worst,
      "no-msi",
    );
    const result: DriverOwnership = { devices, status };
    if (driver !== undefined) result.driver = driver;
    return result;
  }

  private deviceStatus(ownership: DeviceOwnership): Status {
    const teardown = ownership.releases.some((release) => release.kind === "teardown");
    if (ownership.hybridAllocs.length > 0 && ownership.managedEnable.length > 0) {
      return teardown ? "double-release" : "implicit-managed";
    }
    if (ownership.managedAllocs.length > 0) return teardown ? "converted-double-release" : "converted";
    if (ownership.hybridAllocs.length > 0) return "unmanaged";
    return "no-msi";
  }

  /** Evidence step for a call site. */
  evidence(ref: CallRef, text?: string): Evidence {
    const call = this.graph.call(ref);
    const fnName = call.fn >= 0 ? this.graph.fn({ file: ref.file, fn: call.fn }).name : "(file scope)";
    return {
      file: this.graph.path(ref.file),
      line: call.line,
      column: call.column,
      role: call.role ?? "call",
      function: fnName,
      text: text ?? `${call.callee}(${call.args.join(", ")})`,
    };
  }

  /** Evidence for how a reach gets from its entry to the function holding a call. */
  reachEvidence(reach: Reach): Evidence[] {
    const entry = this.graph.fn(reach.entry);
    const steps: Evidence[] = [
      {
        file: this.graph.path(reach.entry.file),
        line: entry.line,
        column: 1,
        role: "entry",
        function: entry.name,
        text: `${entry.name}() is the ${reach.via}`,
      },
    ];
    for (const callRef of reach.chain)
      steps.push(this.evidence(callRef, `${this.graph.call(callRef).callee}()`));
    return steps;
  }
}

export function analyseModule(input: ModuleInput, traits: TreeTraits): DriverReport[] {
  return new ModuleOwnership(input, traits).analyse();
}

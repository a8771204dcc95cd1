/**
 * The ownership model of one module: which calls run from probe, remove, shutdown, PM
 * callbacks, devm actions and pointers; which pci_dev each acts on; every way each release is
 * reached and what that makes it (classify.ts); and from that, each driver's status and
 * findings with their evidence. Pure: FileFacts in, DriverReports out.
 */
import { allocatesMsi, catalogEntry, releasesKind } from "../catalog.js";
import type { FileFacts } from "../parse/facts.js";
import type { DriverReport, Era, Evidence, Finding, Status } from "../report/types.js";
import { STATUSES, TEARDOWN_PATHS } from "../report/types.js";
import { ReleaseClassifier, type DriverRelease, type ReleasePath } from "./classify.js";
import { buildFindings, mergeSharedFindings } from "./findings.js";
import { key, MAX_CALL_DEPTH, ModuleGraph, type CallRef, type FunctionRef } from "./graph.js";
import { eraStatus } from "../era/status.js";

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

export interface DeviceOwnership {
  device: string;
  managedEnable: CallRef[];
  unmanagedEnable: CallRef[];
  hybridAllocs: CallRef[];
  managedAllocs: CallRef[];
  /** The releases this driver reaches, with the paths that are this driver's or the module's. */
  releases: DriverRelease[];
  status: Status;
}

export interface DriverOwnership {
  driver?: string;
  /** Every `struct pci_driver` of the module; a finding names the others that share its line. */
  devices: DeviceOwnership[];
  status: Status;
}

export class ModuleOwnership {
  readonly graph: ModuleGraph;
  readonly classifier: ReleaseClassifier;
  private readonly otherDeviceFields: Set<string>;

  constructor(
    readonly input: ModuleInput,
    readonly traits: TreeTraits,
  ) {
    this.graph = new ModuleGraph(input.files);
    this.classifier = new ReleaseClassifier(this.graph, input.files);
    this.otherDeviceFields = new Set(input.files.flatMap((file) => file.otherDeviceFields));
  }

  /** The pci_dev a catalog call acts on: the probed device, or `other:NAME` for another one. */
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

  /** A module appears in the report when code in one of its functions calls the catalog. */
  callsCatalog(): boolean {
    return this.input.files.some((file) =>
      file.calls.some((call) => call.role !== undefined && call.fn >= 0),
    );
  }

  /** Every function reached from the entries, through the module's calls. */
  private reachFrom(entries: readonly FunctionRef[]): Map<string, FunctionRef> {
    const reached = new Map<string, FunctionRef>();
    const queue: { ref: FunctionRef; depth: number }[] = [];
    for (const ref of entries) {
      if (reached.has(key(ref))) continue;
      reached.set(key(ref), ref);
      queue.push({ ref, depth: 0 });
    }
    for (let i = 0; i < queue.length; i++) {
      const { ref, depth } = queue[i] as { ref: FunctionRef; depth: number };
      if (depth >= MAX_CALL_DEPTH) continue;
      for (const callRef of this.graph.callsIn(ref)) {
        const call = this.graph.call(callRef);
        if (call.role !== undefined) continue;
        for (const callee of this.graph.resolve(call.callee, ref.file)) {
          if (reached.has(key(callee))) continue;
          reached.set(key(callee), callee);
          queue.push({ ref: callee, depth: depth + 1 });
        }
      }
    }
    return reached;
  }

  analyse(): DriverReport[] {
    if (!this.callsCatalog()) return [];
    const roles = this.classifier.roles;
    const drivers = roles.drivers;
    const perDriver = (drivers.length === 0 ? [undefined] : drivers).map((driver) => ({
      driver,
      reached: this.reachFrom(roles.entriesOf(driver)),
      fromProbe: new Set(this.reachFrom(roles.probesOf(driver)).keys()),
    }));
    // Code no driver callback reaches (pointers, work items, callers outside the module) still
    // belongs to the module: every driver of it gets it. Dead code belongs to none.
    const reachedByAny = new Set(perDriver.flatMap(({ reached }) => [...reached.keys()]));
    const rest = this.reachFrom(
      [...this.graph.functions()].filter((ref) => !reachedByAny.has(key(ref)) && !roles.isDead(ref)),
    );
    const ownerships = perDriver.map(({ driver, reached, fromProbe }) => {
      for (const [k, ref] of rest) if (!reached.has(k)) reached.set(k, ref);
      // Probe's code first, so the evidence for a device prefers what probe does.
      const ordered = [...reached.values()].sort(
        (a, b) =>
          Number(!fromProbe.has(key(a))) - Number(!fromProbe.has(key(b))) || a.file - b.file || a.fn - b.fn,
      );
      return this.driverOwnership(driver, ordered);
    });
    const findings = mergeSharedFindings(
      ownerships.map((ownership) => ({ driver: ownership.driver, findings: buildFindings(this, ownership) })),
    );
    return ownerships.map((ownership, index) => {
      const report: DriverReport = {
        unit: this.input.unit,
        module: this.input.module,
        files: [...this.input.sources],
        status: ownership.status,
        findings: findings[index] as Finding[],
      };
      if (ownership.driver !== undefined) report.driver = ownership.driver;
      return report;
    });
  }

  private driverOwnership(driver: string | undefined, reached: readonly FunctionRef[]): DriverOwnership {
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
    for (const fnRef of reached) {
      for (const callRef of this.graph.callsIn(fnRef)) {
        const call = this.graph.call(callRef);
        if (call.role === undefined) continue;
        // The API's own definitions (pcim_alloc_irq_vectors() calling pci_alloc_irq_vectors_affinity()
        // in the PCI/MSI core) implement it; they do not use it.
        if (catalogEntry(this.graph.fn(fnRef).name) !== undefined) continue;
        const ownership = device(this.deviceOf(callRef));
        if (call.role === "release") {
          const classified = this.classifier.classify(callRef).forDriver(driver);
          if (classified.paths.length > 0) ownership.releases.push(classified);
        } else if (call.role === "managed-enable") ownership.managedEnable.push(callRef);
        else if (call.role === "unmanaged-enable") ownership.unmanagedEnable.push(callRef);
        else if (call.role === "managed-alloc") ownership.managedAllocs.push(callRef);
        else if (call.role === "hybrid-alloc" && allocatesMsi(call)) ownership.hybridAllocs.push(callRef);
      }
    }
    for (const ownership of byDevice.values()) {
      // A release undoes only an allocation of its kind: pci_disable_msix() no MSI one.
      const allocations = [...ownership.hybridAllocs, ...ownership.managedAllocs].map((ref) =>
        this.graph.call(ref),
      );
      ownership.releases = ownership.releases.filter((release) =>
        allocations.some(releasesKind(this.graph.call(release.call))),
      );
      ownership.status = eraStatus(deviceStatus(ownership), this.traits.era);
    }
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

  /** Evidence for how a path gets from its entry (at the entry's name) to the release's function. */
  pathEvidence(path: ReleasePath): Evidence[] {
    const entry = this.graph.fn(path.entry);
    const steps: Evidence[] = [
      {
        file: this.graph.path(path.entry.file),
        line: entry.nameLine,
        column: entry.nameColumn,
        role: "entry",
        function: entry.name,
        text: `${entry.name}() is ${path.via}`,
        path: path.kind,
      },
    ];
    for (const callRef of path.chain)
      steps.push(this.evidence(callRef, `${this.graph.call(callRef).callee}()`));
    return steps;
  }
}

/** A device's status from what it enables, allocates, and whether a release is on a teardown path. */
export function deviceStatus(ownership: DeviceOwnership): Status {
  const teardown = ownership.releases.some((release) =>
    release.paths.some((path) => TEARDOWN_PATHS.has(path.kind)),
  );
  if (ownership.hybridAllocs.length > 0 && ownership.managedEnable.length > 0) {
    return teardown ? "double-release" : "implicit-managed";
  }
  if (ownership.managedAllocs.length > 0) return teardown ? "converted-double-release" : "converted";
  if (ownership.hybridAllocs.length > 0) return "unmanaged";
  return "no-msi";
}

export function analyseModule(input: ModuleInput, traits: TreeTraits): DriverReport[] {
  return new ModuleOwnership(input, traits).analyse();
}

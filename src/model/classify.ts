/**
 * Every way a release is reached, and what each way makes it: the one classification that the
 * status, the findings, their evidence and every proposed edit are derived from (KERNEL.md,
 * "When a release is not a teardown"). A release is a teardown on a path where devres releases
 * again afterwards; it may be deleted only when every path to it is one. Pure: facts in.
 */
import { allocatesMsi, devmCallback, INTX_SETUP_CALLS } from "../catalog.js";
import type { FileFacts } from "../parse/facts.js";
import { TEARDOWN_PATHS, type PathKind } from "../report/types.js";
import { key, MAX_CALL_DEPTH, type CallRef, type FunctionRef, type ModuleGraph } from "./graph.js";

/** What a function is to the kernel: a driver callback, a devm action, a pointer's target. */
export interface EntryRole {
  kind: "probe" | "remove" | "shutdown" | "pm" | "devm-action" | "runtime" | "unknown";
  /** The `struct pci_driver` it belongs to; undefined for roles of the whole module. */
  driver?: string;
  /** How it is known, after "foo() is": `the .remove of foo_driver`. */
  via: string;
}

const PATH_OF_ROLE: Record<Exclude<EntryRole["kind"], "probe">, PathKind> = {
  remove: "remove",
  shutdown: "shutdown",
  pm: "suspend",
  "devm-action": "devm-action",
  runtime: "runtime",
  unknown: "unknown",
};

/** The module's entry points: which functions the kernel runs, and as what. */
export class ModuleRoles {
  readonly drivers: string[] = [];
  private readonly byFunction = new Map<string, EntryRole[]>();
  private readonly dead = new Set<string>();

  constructor(
    private readonly graph: ModuleGraph,
    files: readonly FileFacts[],
  ) {
    const registrations = new Map<string, number>();
    const register = (name: string | undefined, fileIndex: number, role: EntryRole): void => {
      if (name === undefined) return;
      registrations.set(name, (registrations.get(name) ?? 0) + 1);
      for (const ref of graph.resolve(name, fileIndex)) this.add(ref, role);
    };
    const moduleOps = files.flatMap((file) => file.pmOps);
    files.forEach((file, fileIndex) => {
      for (const driver of file.drivers) {
        const label = driver.variable;
        this.drivers.push(label);
        register(driver.probe, fileIndex, { kind: "probe", driver: label, via: `the .probe of ${label}` });
        register(driver.remove, fileIndex, { kind: "remove", driver: label, via: `the .remove of ${label}` });
        register(driver.shutdown, fileIndex, {
          kind: "shutdown",
          driver: label,
          via: `the .shutdown of ${label}`,
        });
        // `.driver.pm = FOO_PM_OPS` with `#define FOO_PM_OPS (&foo_pm_ops)`: the macro hides the
        // name, and the module's own dev_pm_ops are the ones its driver uses.
        const named = moduleOps.filter((candidate) => driver.pm.includes(candidate.name));
        const ops = named.length > 0 || driver.pm.length === 0 ? named : moduleOps;
        const pm = new Set([...driver.pm, ...ops.flatMap((op) => op.callbacks)]);
        for (const name of pm)
          for (const ref of graph.resolve(name, fileIndex))
            this.add(ref, { kind: "pm", driver: label, via: `a PM callback of ${label}` });
        for (const name of driver.other)
          for (const ref of graph.resolve(name, fileIndex))
            this.add(ref, {
              kind: "runtime",
              driver: label,
              via: `a callback of ${label} other than probe and remove`,
            });
      }
    });
    for (const op of moduleOps)
      for (const name of op.callbacks) registrations.set(name, (registrations.get(name) ?? 0) + 1);
    for (const fn of graph.functions()) {
      for (const site of graph.callsIn(fn)) {
        const callback = devmCallback(graph.call(site));
        register(callback, fn.file, {
          kind: "devm-action",
          via: `a devm action registered in ${graph.fn(fn).name}(), run at detach`,
        });
      }
    }
    // A function named as a value more often than its registrations can run from anywhere the
    // pointer goes: an ops table, a work item, a timer, EXPORT_SYMBOL.
    const valueRefs = new Map<string, number>();
    const deadRefs = new Set(files.flatMap((file) => file.deadRefs));
    for (const file of files)
      for (const [name, count] of Object.entries(file.valueRefs))
        valueRefs.set(name, (valueRefs.get(name) ?? 0) + count);
    for (const ref of graph.functions()) {
      const fn = graph.fn(ref);
      if ((valueRefs.get(fn.name) ?? 0) > (registrations.get(fn.name) ?? 0))
        this.add(ref, {
          kind: "runtime",
          via: "named as a pointer (an ops table, a work item, a timer or a handler)",
        });
    }
    for (const ref of graph.functions()) {
      if (this.rolesOf(ref).length > 0 || graph.callersOf(ref).length > 0) continue;
      const fn = graph.fn(ref);
      if (fn.isStatic && deadRefs.has(fn.name)) {
        this.dead.add(key(ref));
        continue;
      }
      this.add(ref, {
        kind: "unknown",
        via: fn.isStatic
          ? "called from nowhere the analysis sees (a macro, or not at all)"
          : "called from outside the module",
      });
    }
  }

  private add(ref: FunctionRef, role: EntryRole): void {
    const list = this.byFunction.get(key(ref)) ?? [];
    if (!list.some((known) => known.kind === role.kind && known.driver === role.driver)) list.push(role);
    this.byFunction.set(key(ref), list);
  }

  rolesOf(ref: FunctionRef): EntryRole[] {
    return this.byFunction.get(key(ref)) ?? [];
  }

  /** Code a constant removes (`PTR_IF(false, foo)` and nothing else names it): never runs. */
  isDead(ref: FunctionRef): boolean {
    return this.dead.has(key(ref));
  }

  /** The functions the kernel enters for one driver (and the module's devm actions). */
  entriesOf(driver: string | undefined): FunctionRef[] {
    return this.functionsWith(
      (role) =>
        (role.driver === driver && role.driver !== undefined && role.kind !== "runtime") ||
        role.kind === "devm-action",
    );
  }

  probesOf(driver: string | undefined): FunctionRef[] {
    return this.functionsWith((role) => role.kind === "probe" && role.driver === driver);
  }

  private functionsWith(test: (role: EntryRole) => boolean): FunctionRef[] {
    return [...this.graph.functions()].filter((ref) => this.rolesOf(ref).some(test));
  }
}

/** One way a release is reached. */
export interface ReleasePath {
  kind: PathKind;
  /** Where the path enters: the callback, the pointer's target, or where the re-allocation is. */
  entry: FunctionRef;
  /** Call sites from the entry down to the function that holds the release. */
  chain: CallRef[];
  /** The `struct pci_driver` of the entry; undefined for paths of the whole module. */
  driver?: string;
  /** After "foo() is": `the .remove of foo_driver`. */
  via: string;
}

export interface ClassifiedRelease {
  call: CallRef;
  paths: ReleasePath[];
}

/** A release as one driver sees it, with the module-wide classification beside. */
export interface DriverRelease extends ClassifiedRelease {
  all: ClassifiedRelease;
}

export function isTeardown(path: ReleasePath): boolean {
  return TEARDOWN_PATHS.has(path.kind);
}

/**
 * Where the release does something that is needed: a path that is not a teardown, other than
 * one on which nothing was allocated yet (there the release is a no-op, and deleting it is too).
 */
export function needsRelease(path: ReleasePath): boolean {
  return !isTeardown(path) && path.kind !== "nothing-allocated";
}

/** A release may go only when devres follows it on every path where it does anything. */
export function deletable(release: ClassifiedRelease): boolean {
  return release.paths.some(isTeardown) && !release.paths.some(needsRelease);
}

/** The module-wide classification, and its view for one driver. */
export class Classification implements ClassifiedRelease {
  constructor(
    readonly call: CallRef,
    readonly paths: ReleasePath[],
  ) {}

  /** The paths of one driver's callbacks and those of the whole module. */
  forDriver(driver: string | undefined): DriverRelease {
    return {
      call: this.call,
      paths: this.paths.filter((path) => path.driver === undefined || path.driver === driver),
      all: this,
    };
  }
}

/** A state of the walk from the release up through its callers. */
interface Step {
  fn: FunctionRef;
  /** The flow node of the release, or of the call on the way to it. */
  node: number | undefined;
  chain: CallRef[];
  /** The release's function returned normally to here (not through an error return). */
  normal: boolean;
  /** An MSI allocation ran before, on the way here. */
  allocated: boolean;
}

const MAX_STEPS = 256;

export class ReleaseClassifier {
  readonly roles: ModuleRoles;
  private readonly memo = new Map<string, Classification>();
  private readonly allocatesMemo = new Map<string, boolean>();

  constructor(
    private readonly graph: ModuleGraph,
    files: readonly FileFacts[],
  ) {
    this.roles = new ModuleRoles(graph, files);
  }

  classify(callRef: CallRef): Classification {
    let classified = this.memo.get(key(callRef));
    if (classified === undefined) {
      classified = new Classification(callRef, this.paths(callRef));
      this.memo.set(key(callRef), classified);
    }
    return classified;
  }

  private paths(callRef: CallRef): ReleasePath[] {
    const graph = this.graph;
    const home = graph.callerOf(callRef);
    if (graph.call(callRef).devmAction === true) {
      // devm_add_action(dev, pci_free_irq_vectors, pdev): the release itself runs at detach.
      return [
        {
          kind: "devm-action",
          entry: home,
          chain: [],
          via: `where the release is registered as a devm action`,
        },
      ];
    }
    const paths: ReleasePath[] = [];
    const seen = new Set<string>();
    const queue: Step[] = [
      { fn: home, node: graph.nodeOf(callRef), chain: [], normal: true, allocated: false },
    ];
    for (let steps = 0; queue.length > 0; steps++) {
      const step = queue.shift() as Step;
      const id = `${key(step.fn)}@${step.node}:${step.normal}:${step.allocated}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (steps >= MAX_STEPS || step.chain.length > MAX_CALL_DEPTH) {
        paths.push({
          kind: "unknown",
          entry: step.fn,
          chain: step.chain,
          via: "called through too many levels to follow",
        });
        break;
      }
      const after = step.node === undefined ? undefined : graph.walk(step.fn, step.node, "forward");
      const succeeds = step.normal && after?.success === true;
      if (
        after?.calls.some((call) => this.allocatesAgain({ file: step.fn.file, call }, step.normal)) === true
      ) {
        paths.push({
          kind: "re-allocation",
          entry: step.fn,
          chain: step.chain,
          via: "where an allocation or INTx setup follows the release",
        });
        continue;
      }
      const allocated =
        step.allocated ||
        (step.node !== undefined &&
          graph
            .walk(step.fn, step.node, "backward")
            .calls.some((call) => this.allocatesMsiAt({ file: step.fn.file, call })));
      for (const role of this.roles.rolesOf(step.fn)) {
        const kind: PathKind =
          role.kind !== "probe"
            ? PATH_OF_ROLE[role.kind]
            : !allocated
              ? "nothing-allocated"
              : succeeds
                ? "probe-continues"
                : "probe-error";
        const path: ReleasePath = { kind, entry: step.fn, chain: step.chain, via: role.via };
        if (role.driver !== undefined) path.driver = role.driver;
        paths.push(path);
      }
      for (const site of graph.callersOf(step.fn)) {
        queue.push({
          fn: graph.callerOf(site),
          node: graph.nodeOf(site),
          chain: [site, ...step.chain],
          normal: succeeds,
          allocated,
        });
      }
    }
    return paths;
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
        isAllocation(call.role) ||
        (depth < MAX_CALL_DEPTH &&
          call.role === undefined &&
          this.graph.resolve(call.callee, ref.file).some((callee) => this.allocates(callee, depth + 1)))
      ) {
        result = true;
        break;
      }
    }
    this.allocatesMemo.set(k, result);
    return result;
  }

  /**
   * After a release: an allocation (directly or through a callee), or, where the code goes on
   * normally, the setup of a legacy interrupt (`request_irq(pdev->irq, ...)`, a fallback to INTx).
   */
  private allocatesAgain(ref: CallRef, normal: boolean): boolean {
    const call = this.graph.call(ref);
    if (isAllocation(call.role)) return true;
    if (call.role !== undefined) return false;
    if (normal && INTX_SETUP_CALLS.includes(call.callee)) return true;
    return this.graph.resolve(call.callee, ref.file).some((callee) => this.allocates(callee));
  }

  /** Before a release: an MSI allocation, directly or through a callee. */
  private allocatesMsiAt(ref: CallRef): boolean {
    const call = this.graph.call(ref);
    if (isAllocation(call.role)) return allocatesMsi(call);
    if (call.role !== undefined) return false;
    return this.graph.resolve(call.callee, ref.file).some((callee) => this.allocates(callee));
  }
}

function isAllocation(role: string | undefined): boolean {
  return role === "hybrid-alloc" || role === "managed-alloc";
}

/**
 * The kernel era, read from the tree's own PCI/MSI core (drivers/pci/msi/*.c) rather than from a
 * version number, since forks backport: whether the hybrid allocators still register the devres
 * release for managed devices, and whether the managed allocators exist. Pure: the core's
 * FileFacts and texts in, the era and the line that decided it out.
 */
import { CATALOG, DEVM_ACTION_REGISTRARS } from "../catalog.js";
import { ModuleGraph, type CallRef, type FunctionRef } from "../model/graph.js";
import type { FileFacts } from "../parse/facts.js";
import { stripComments } from "../parse/text.js";
import type { EraDecision } from "../report/types.js";

/** The core's directory: the era is read there whatever paths the audit covers. */
export const MSI_CORE_DIR = "drivers/pci/msi";
export const PCI_HEADER = "include/linux/pci.h";

const MANAGED_ALLOCATORS = Object.keys(CATALOG).filter((name) => CATALOG[name]?.role === "managed-alloc");
const HYBRID_ALLOCATORS = Object.keys(CATALOG).filter((name) => CATALOG[name]?.role === "hybrid-alloc");
/** A test of the flag pcim_enable_device() sets: `pci_is_managed(dev)` or `dev->is_managed`. */
const TESTS_MANAGED = /\bpci_is_managed\s*\(|(?:->|\.)\s*is_managed\b/;
const MAX_DEPTH = 16;

/** The era and whether the tree has pcim_alloc_irq_vectors() (the core defines it or pci.h declares it). */
export type TreeEra = EraDecision & { managedAllocators: boolean };

export interface CoreFile {
  facts: FileFacts;
  text: string;
}

/** Where pci.h declares pcim_alloc_irq_vectors(), or undefined. */
export function managedDeclaration(pciHeader: string): { file: string; line: number } | undefined {
  const code = stripComments(pciHeader);
  const match = /\bpcim_alloc_irq_vectors\s*\(/.exec(code);
  if (match === null) return undefined;
  return { file: PCI_HEADER, line: code.slice(0, match.index).split("\n").length };
}

/** The era from pci.h alone, for a tree without its PCI/MSI core; says that it is a fallback. */
export function eraFromDeclarations(pciHeader: string | undefined, why: string): TreeEra {
  const declared = pciHeader === undefined ? undefined : managedDeclaration(pciHeader);
  if (declared !== undefined) {
    return {
      era: 2,
      managedAllocators: true,
      source: "declarations",
      ...declared,
      reason: `${why}; ${PCI_HEADER} declares pcim_alloc_irq_vectors(), so the era is taken as transition (whether the hybrid release was removed cannot be told without the core)`,
    };
  }
  return {
    era: 1,
    managedAllocators: false,
    source: "declarations",
    reason: `${why}; ${pciHeader === undefined ? `${PCI_HEADER} is not in the tree either` : `${PCI_HEADER} does not declare pcim_alloc_irq_vectors()`}, so the era is taken as hybrid`,
  };
}

/**
 * The era of a PCI/MSI core. Hybrid registration: a devm_add_action*() reached by following
 * calls down from a hybrid allocator's definition, on a path where a function tests the device's
 * managed flag (a fork may rename the helpers, so no name but the API's is relied on). Undefined
 * when the files define no hybrid allocator (not a PCI/MSI core).
 */
export function eraFromCore(files: readonly CoreFile[], pciHeader: string | undefined): TreeEra | undefined {
  const graph = new ModuleGraph(files.map((file) => file.facts));
  const definitions = (names: readonly string[]): FunctionRef[] =>
    names.flatMap((name) => graph.resolve(name, -1));
  const allocators = definitions(HYBRID_ALLOCATORS);
  const first = allocators[0];
  if (first === undefined) return undefined;
  const managedDefined = definitions(MANAGED_ALLOCATORS)[0];
  const managedAt =
    managedDefined !== undefined
      ? { file: graph.path(managedDefined.file), line: graph.fn(managedDefined).line }
      : pciHeader === undefined
        ? undefined
        : managedDeclaration(pciHeader);

  const testsManaged = new Map<string, boolean>();
  const tests = (ref: FunctionRef): boolean => {
    const key = `${ref.file}:${ref.fn}`;
    let result = testsManaged.get(key);
    if (result === undefined) {
      const fn = graph.fn(ref);
      const lines = (files[ref.file] as CoreFile).text.split("\n").slice(fn.line - 1, fn.endLine);
      result = TESTS_MANAGED.test(stripComments(lines.join("\n")));
      testsManaged.set(key, result);
    }
    return result;
  };
  const managedAllocators = managedAt !== undefined;
  const registration = findRegistration(graph, allocators, tests);
  if (registration !== undefined) {
    const call = graph.call(registration.call);
    const at = { file: graph.path(registration.call.file), line: call.line };
    const entry = graph.fn(registration.from).name;
    const via = `${entry}() reaches ${call.callee}(…, ${call.args[1] ?? "?"}, …) for managed devices`;
    if (managedAt === undefined) {
      return {
        era: 1,
        managedAllocators,
        source: "msi-core",
        ...at,
        reason: `${via}; pcim_alloc_irq_vectors() does not exist`,
      };
    }
    return {
      era: 2,
      managedAllocators,
      source: "msi-core",
      ...at,
      reason: `${via}; pcim_alloc_irq_vectors() exists (${managedAt.file}:${managedAt.line})`,
    };
  }
  const decider = allocators.find((ref) => graph.fn(ref).name === "pci_alloc_irq_vectors_affinity") ?? first;
  return {
    era: 3,
    managedAllocators,
    source: "msi-core",
    file: graph.path(decider.file),
    line: graph.fn(decider).line,
    reason:
      `no hybrid allocator (${graph.fn(decider).name}() and the others) reaches a devres registration for managed devices any more` +
      (managedAt === undefined
        ? "; pcim_alloc_irq_vectors() does not exist either"
        : `; pcim_alloc_irq_vectors() exists (${managedAt.file}:${managedAt.line})`),
  };
}

/**
 * Breadth first from the allocators: the first devm_add_action*() call whose path (from the
 * allocator down to and including the function holding it) tests the managed flag.
 */
function findRegistration(
  graph: ModuleGraph,
  allocators: readonly FunctionRef[],
  testsManaged: (ref: FunctionRef) => boolean,
): { call: CallRef; from: FunctionRef } | undefined {
  const seen = new Set<string>();
  const queue = allocators.map((ref) => ({ ref, from: ref, guarded: testsManaged(ref), depth: 0 }));
  for (const item of queue) seen.add(`${item.ref.file}:${item.ref.fn}:${item.guarded}`);
  for (let i = 0; i < queue.length; i++) {
    const { ref, from, guarded, depth } = queue[i] as (typeof queue)[number];
    for (const callRef of graph.callsIn(ref)) {
      const call = graph.call(callRef);
      if (DEVM_ACTION_REGISTRARS.includes(call.callee)) {
        if (guarded) return { call: callRef, from };
        continue;
      }
      if (depth >= MAX_DEPTH) continue;
      for (const callee of graph.resolve(call.callee, ref.file)) {
        const next = { ref: callee, from, guarded: guarded || testsManaged(callee), depth: depth + 1 };
        const key = `${callee.file}:${callee.fn}:${next.guarded}`;
        if (seen.has(key)) continue;
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return undefined;
}

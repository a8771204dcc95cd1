/**
 * A module's functions and calls, resolved across its files: static functions are found in
 * their own file first, others anywhere in the module. Pure: FileFacts in, lookups out.
 */
import type { CallSite, FileFacts, FunctionFacts } from "../parse/facts.js";
import { ENTRY_NODE, EXIT_NODE, SUCCESS_RETURN } from "../parse/facts.js";

export interface FunctionRef {
  file: number;
  fn: number;
}

export interface CallRef {
  file: number;
  call: number;
}

/** How deep call chains are followed: kernel drivers nest helpers a few levels. */
export const MAX_CALL_DEPTH = 12;

export function key(ref: CallRef | FunctionRef): string {
  return "call" in ref ? `${ref.file}/${ref.call}` : `${ref.file}:${ref.fn}`;
}

export class ModuleGraph {
  private readonly byName = new Map<string, FunctionRef[]>();
  private readonly nodeOfCall: Map<number, number>[];
  private readonly callsOfFunction: Map<string, number[]>;
  private readonly predecessors = new Map<string, number[][]>();
  private callers: Map<string, CallRef[]> | undefined;

  constructor(readonly files: readonly FileFacts[]) {
    this.nodeOfCall = files.map(() => new Map());
    this.callsOfFunction = new Map();
    files.forEach((file, fileIndex) => {
      file.functions.forEach((fn, fnIndex) => {
        const list = this.byName.get(fn.name) ?? [];
        list.push({ file: fileIndex, fn: fnIndex });
        this.byName.set(fn.name, list);
        fn.flow.call.forEach((call, node) => {
          if (call >= 0) (this.nodeOfCall[fileIndex] as Map<number, number>).set(call, node);
        });
      });
      file.calls.forEach((call, callIndex) => {
        if (call.fn < 0) return;
        const key = `${fileIndex}:${call.fn}`;
        const list = this.callsOfFunction.get(key) ?? [];
        list.push(callIndex);
        this.callsOfFunction.set(key, list);
      });
    });
  }

  fn(ref: FunctionRef): FunctionFacts {
    return (this.files[ref.file] as FileFacts).functions[ref.fn] as FunctionFacts;
  }

  call(ref: CallRef): CallSite {
    return (this.files[ref.file] as FileFacts).calls[ref.call] as CallSite;
  }

  path(file: number): string {
    return (this.files[file] as FileFacts).path;
  }

  /** The definitions a name refers to when used in `fromFile`. */
  resolve(name: string, fromFile: number): FunctionRef[] {
    const candidates = this.byName.get(name);
    if (candidates === undefined) return [];
    const local = candidates.filter((ref) => ref.file === fromFile);
    if (local.length > 0) return local;
    return candidates.filter((ref) => !this.fn(ref).isStatic);
  }

  /** Every function of the module. */
  *functions(): Generator<FunctionRef> {
    for (let file = 0; file < this.files.length; file++) {
      const count = (this.files[file] as FileFacts).functions.length;
      for (let fn = 0; fn < count; fn++) yield { file, fn };
    }
  }

  /** Call sites inside a function, in source order. */
  callsIn(ref: FunctionRef): CallRef[] {
    return (this.callsOfFunction.get(`${ref.file}:${ref.fn}`) ?? []).map((call) => ({
      file: ref.file,
      call,
    }));
  }

  /** The call sites in the module that call `ref`. */
  callersOf(ref: FunctionRef): CallRef[] {
    if (this.callers === undefined) {
      const callers = new Map<string, CallRef[]>();
      for (const caller of this.functions()) {
        for (const site of this.callsIn(caller)) {
          for (const callee of this.resolve(this.call(site).callee, caller.file)) {
            const key = `${callee.file}:${callee.fn}`;
            const list = callers.get(key) ?? [];
            list.push(site);
            callers.set(key, list);
          }
        }
      }
      this.callers = callers;
    }
    return this.callers.get(`${ref.file}:${ref.fn}`) ?? [];
  }

  /** The function a call site is in (its `fn` is never -1 for a call in the flow). */
  callerOf(ref: CallRef): FunctionRef {
    return { file: ref.file, fn: this.call(ref).fn };
  }

  /** The flow node of a call site, or undefined for calls outside the flow (devm callbacks). */
  nodeOf(ref: CallRef): number | undefined {
    return (this.nodeOfCall[ref.file] as Map<number, number>).get(ref.call);
  }

  private preds(ref: FunctionRef): number[][] {
    const key = `${ref.file}:${ref.fn}`;
    let preds = this.predecessors.get(key);
    if (preds === undefined) {
      const { succ } = this.fn(ref).flow;
      preds = succ.map(() => []);
      succ.forEach((targets, from) => {
        for (const to of targets) (preds as number[][])[to]?.push(from);
      });
      this.predecessors.set(key, preds);
    }
    return preds;
  }

  /**
   * Walks the flow of `ref` from `start` (exclusive), forwards or backwards, and returns the
   * call nodes met, whether the function's exit (forwards) or entry (backwards) is met, and
   * whether a successful return is.
   */
  walk(
    ref: FunctionRef,
    start: number,
    direction: "forward" | "backward",
  ): { calls: number[]; boundary: boolean; success: boolean } {
    const flow = this.fn(ref).flow;
    const edges = direction === "forward" ? flow.succ : this.preds(ref);
    const boundaryNode = direction === "forward" ? EXIT_NODE : ENTRY_NODE;
    const seen = new Set<number>([start]);
    const stack = [...(edges[start] ?? [])];
    const calls: number[] = [];
    let boundary = false;
    let success = false;
    while (stack.length > 0) {
      const node = stack.pop() as number;
      if (seen.has(node)) continue;
      seen.add(node);
      if (node === boundaryNode) {
        boundary = true;
        continue;
      }
      const call = flow.call[node] as number;
      if (call >= 0) calls.push(call);
      else if (call === SUCCESS_RETURN) success = true;
      for (const next of edges[node] ?? []) stack.push(next);
    }
    return { calls, boundary, success };
  }
}

/**
 * Whether an explicit release can simply go: every way the code reaches it must be a teardown
 * that devres follows (remove, a devm action, a failing probe). A release that a reset, a
 * suspend, a fallback to INTx or a caller we cannot see also runs is not redundant there, and
 * deleting it would break that path; the checker's status does not tell those apart, so the
 * fix command asks again, over the call graph and the syntax.
 */
import { DEVM_ACTION_REGISTRARS } from "../catalog.js";
import { ModuleGraph, type FunctionRef } from "../model/graph.js";
import type { ParsedFile, SyntaxNode } from "./syntax.js";

const COMMENT = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
const LOOPS = new Set([
  "for_statement",
  "while_statement",
  "do_statement",
  "switch_statement",
  "case_statement",
]);
const MAX_STEPS = 2000;
/** Calls that set interrupts up: after a release they mean a fallback, not a teardown. */
const SETUP_CALLS =
  /^(devm_)?request_(threaded_)?irq$|^pci_request_irq$|^pci_alloc_irq_vectors|^pci_enable_msix?(_range|_exact)?$/;

/** The module's functions, who calls whom, and what the drivers register as callbacks. */
export class ModuleCalls {
  readonly graph: ModuleGraph;
  private readonly callers = new Map<string, { caller: FunctionRef; call: number }[]>();
  private readonly roles = new Map<string, Set<string>>();
  /** How many registrations name each function (`.probe = foo` in two drivers is two). */
  private readonly registrations = new Map<string, number>();
  private readonly valueRefs = new Map<string, number>();
  private readonly callRefs = new Map<string, number>();

  constructor(readonly files: readonly ParsedFile[]) {
    this.graph = new ModuleGraph(files.map((file) => file.facts));
    for (const ref of this.graph.functions()) {
      for (const callRef of this.graph.callsIn(ref)) {
        for (const callee of this.graph.resolve(this.graph.call(callRef).callee, ref.file)) {
          const list = this.callers.get(key(callee)) ?? [];
          list.push({ caller: ref, call: callRef.call });
          this.callers.set(key(callee), list);
        }
      }
    }
    files.forEach((file, index) => {
      const role = (name: string | undefined, what: string): void => {
        if (name === undefined) return;
        for (const ref of this.graph.resolve(name, index)) {
          const set = this.roles.get(key(ref)) ?? new Set<string>();
          set.add(what);
          this.roles.set(key(ref), set);
          this.registrations.set(key(ref), (this.registrations.get(key(ref)) ?? 0) + 1);
        }
      };
      const pmOps = files.flatMap((candidate) => candidate.facts.pmOps);
      for (const driver of file.facts.drivers) {
        role(driver.probe, "probe");
        role(driver.remove, "remove");
        role(driver.shutdown, "shutdown");
        for (const name of driver.pm) {
          role(name, "pm");
          for (const ops of pmOps.filter((candidate) => candidate.name === name))
            for (const callback of ops.callbacks) role(callback, "pm");
        }
        for (const name of driver.other) role(name, "callback");
      }
      for (const call of file.facts.calls) {
        if (!DEVM_ACTION_REGISTRARS.includes(call.callee)) continue;
        const callback = (call.args[1] ?? "").match(/\b[A-Za-z_]\w*\b/g)?.at(-1);
        role(callback, "devm-action");
      }
      // A function named anywhere but in a call (`.reset = foo`, INIT_WORK(&w, foo),
      // EXPORT_SYMBOL(foo)) can be run from places the call graph does not show.
      const code = file.text.replace(COMMENT, " ");
      for (const match of code.matchAll(/\b([A-Za-z_]\w*)\b(\s*\()?/g)) {
        const name = match[1] as string;
        const refs = match[2] === undefined ? this.valueRefs : this.callRefs;
        refs.set(name, (refs.get(name) ?? 0) + 1);
      }
    });
  }

  /** How many times `name(` appears in the module's code: calls, the definition, prototypes. */
  callReferences(name: string): number {
    return this.callRefs.get(name) ?? 0;
  }

  /** How many times `name` is named other than in a call, in the module. */
  valueReferences(name: string): number {
    return this.valueRefs.get(name) ?? 0;
  }

  rolesOf(ref: FunctionRef): Set<string> {
    return this.roles.get(key(ref)) ?? new Set();
  }

  callersOf(ref: FunctionRef): { caller: FunctionRef; call: number }[] {
    return this.callers.get(key(ref)) ?? [];
  }

  /** Named other than in a call, beyond the driver/devm registrations that made it an entry. */
  referencedAsValue(ref: FunctionRef): boolean {
    const name = this.graph.fn(ref).name;
    return (this.valueRefs.get(name) ?? 0) > (this.registrations.get(key(ref)) ?? 0);
  }

  nodeOfFunction(ref: FunctionRef): SyntaxNode | undefined {
    const file = this.files[ref.file] as ParsedFile;
    const fn = this.graph.fn(ref);
    return file.tree.rootNode
      .descendantsOfType("function_definition", { row: fn.line - 1, column: 0 }, { row: fn.line, column: 0 })
      .find((node) => node.startPosition.row === fn.line - 1);
  }
}

function key(ref: FunctionRef): string {
  return `${ref.file}:${ref.fn}`;
}

/** One function on the way to the release, and where its code goes on from there. */
interface Step {
  ref: FunctionRef;
  /** The statement that leads to the release (the release itself, or a call on the way). */
  statement: SyntaxNode;
  /** When the callee fails on this path and the call's result is tested: the failure branch. */
  errorBranch?: SyntaxNode;
}

/**
 * Why the release (statement `releaseStatement` in function `fn`) must stay, or undefined when
 * every path to it is a teardown devres follows: remove(), a devm action, or a probe() that
 * fails after it (directly, or through helpers whose failure probe() checks).
 */
export function releaseMustStay(
  calls: ModuleCalls,
  fn: FunctionRef,
  releaseStatement: SyntaxNode,
): string | undefined {
  const name = (ref: FunctionRef): string => `${calls.graph.fn(ref).name}()`;
  const seen = new Set<string>();
  const queue: Step[] = [{ ref: fn, statement: releaseStatement }];
  while (queue.length > 0) {
    const step = queue.shift() as Step;
    const { ref, statement } = step;
    const success =
      step.errorBranch === undefined ? reachesSuccess(statement) : reachesSuccessFrom(step.errorBranch);
    const roles = calls.rolesOf(ref);
    if (
      success?.includes("setting interrupts up again") === true ||
      (roles.has("probe") && success !== undefined)
    )
      return `in ${name(ref)} the release ${success}, so it is not a teardown`;
    if (roles.has("shutdown"))
      return `${name(ref)} is a .shutdown callback: devres does not run at shutdown, so the release is not redundant there`;
    if (roles.has("pm"))
      return `${name(ref)} is a PM callback: the vectors are released for suspend, not for good`;
    if (roles.has("callback")) return `${name(ref)} is a driver callback other than probe/remove`;
    const stepKey = `${ref.file}:${ref.fn}:${statement.id}:${step.errorBranch?.id ?? ""}`;
    if (seen.has(stepKey)) continue;
    seen.add(stepKey);
    if (seen.size > 256) return `${name(fn)} is called from too many places to check`;
    if (calls.referencedAsValue(ref))
      return `${name(ref)} is also reached through a pointer or from outside the module, so the release may not be a teardown there`;
    const callers = calls.callersOf(ref);
    if (callers.length === 0 && roles.size === 0)
      return `nothing in the module calls ${name(ref)} directly, so where the release runs is unknown`;
    for (const { caller, call } of callers) {
      const site = calls.graph.call({ file: caller.file, call });
      const node = statementAt(calls.files[caller.file] as ParsedFile, site.startByte);
      if (node === undefined) return `the call of ${name(ref)} in ${name(caller)} is not a plain statement`;
      const next: Step = { ref: caller, statement: node };
      const branch = success === undefined ? failureBranch(node, site.startByte) : undefined;
      if (branch !== undefined) next.errorBranch = branch;
      queue.push(next);
    }
  }
  return undefined;
}

/**
 * Where the caller goes when the call at `offset` (in `statement`) fails: `return f();` itself,
 * the body of `if (f())`, or of the `if (ret)` right after `ret = f();`.
 */
function failureBranch(statement: SyntaxNode, offset: number): SyntaxNode | undefined {
  if (statement.type === "return_statement") return statement;
  if (statement.type === "if_statement") {
    const condition = statement.childForFieldName("condition");
    if (condition !== null && offset >= condition.startIndex && offset < condition.endIndex)
      return statement.childForFieldName("consequence") ?? undefined;
    return undefined;
  }
  if (statement.type !== "expression_statement") return undefined;
  const assigned = /^\s*(\w+)\s*=[^=]/.exec(statement.text)?.[1];
  let next = statement.nextNamedSibling;
  while (next?.type === "comment") next = next.nextNamedSibling;
  if (assigned === undefined || next?.type !== "if_statement") return undefined;
  const condition = next.childForFieldName("condition")?.text.replace(/\s+/g, "") ?? "";
  const tested = new RegExp(`^\\((unlikely\\()?${assigned}(<0|!=0)?\\)?\\)$`);
  return tested.test(condition) ? (next.childForFieldName("consequence") ?? undefined) : undefined;
}

const STATEMENT_PARENTS = new Set([
  "compound_statement",
  "labeled_statement",
  "if_statement",
  "else_clause",
  "case_statement",
  "for_statement",
  "while_statement",
  "do_statement",
]);

/** The statement directly holding the node at `offset` (walking out of expressions). */
export function statementAt(file: ParsedFile, offset: number): SyntaxNode | undefined {
  let node: SyntaxNode | null = file.tree.rootNode.descendantForIndex(offset);
  while (
    node !== null &&
    !(node.parent !== null && STATEMENT_PARENTS.has(node.parent.type) && isStatement(node))
  )
    node = node.parent;
  return node ?? undefined;
}

export function isStatement(node: SyntaxNode): boolean {
  return (
    node.type.endsWith("_statement") || node.type === "declaration" || node.type === "compound_statement"
  );
}

/**
 * Follows the code after `statement` in its function (branches, gotos) and tells how it can end
 * in success: `return 0`, falling off the end, or a loop we do not follow. Undefined when every
 * way on returns something else (an error code): the release is on an error path.
 */
export function reachesSuccess(statement: SyntaxNode): string | undefined {
  const body = functionBody(statement);
  if (body === undefined) return "is outside a function";
  return explore(after(statement, body), body);
}

/** Like reachesSuccess, from `start` itself. */
export function reachesSuccessFrom(start: SyntaxNode): string | undefined {
  const body = functionBody(start);
  if (body === undefined) return "is outside a function";
  return explore(start, body);
}

function explore(start: SyntaxNode | string, body: SyntaxNode): string | undefined {
  const labels = new Map<string, SyntaxNode>();
  for (const labeled of body.descendantsOfType("labeled_statement")) {
    const label = labeled.childForFieldName("label")?.text ?? labeled.namedChildren[0]?.text;
    if (label !== undefined) labels.set(label, labeled);
  }
  const seen = new Set<number>();
  const stack: (SyntaxNode | string)[] = [start];
  let steps = 0;
  while (stack.length > 0) {
    if (++steps > MAX_STEPS) return "is followed by code too long to follow";
    const item = stack.pop() as SyntaxNode | string;
    if (typeof item === "string") return item;
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    if (
      item.type !== "labeled_statement" &&
      item.type !== "compound_statement" &&
      item.type !== "if_statement"
    ) {
      const again = item
        .descendantsOfType("call_expression")
        .find((call) => SETUP_CALLS.test(call.childForFieldName("function")?.text ?? ""));
      if (again !== undefined)
        return `is followed by ${again.childForFieldName("function")?.text}(), setting interrupts up again (a fallback)`;
    }
    switch (item.type) {
      case "return_statement": {
        const value = item.namedChildren.find((child) => child.type !== "comment");
        if (value === undefined || /^\(?\s*0\s*\)?$/.test(value.text))
          return "is followed by a successful return";
        break;
      }
      case "goto_statement": {
        const label = item.childForFieldName("label")?.text ?? item.namedChildren[0]?.text ?? "";
        const target = labels.get(label);
        if (target === undefined) return `jumps to an unknown label ${label}`;
        stack.push(target);
        break;
      }
      case "labeled_statement": {
        const inner = item.namedChildren.filter(isStatement).at(-1);
        stack.push(inner ?? after(item, body));
        break;
      }
      case "compound_statement": {
        const first = item.namedChildren.find(isStatement);
        stack.push(first ?? after(item, body));
        break;
      }
      case "if_statement": {
        const consequence = item.childForFieldName("consequence");
        const alternative = item.childForFieldName("alternative");
        if (consequence !== null) stack.push(consequence);
        const elseBody = alternative?.namedChildren.find(isStatement);
        stack.push(elseBody ?? after(item, body));
        break;
      }
      default:
        // A loop or switch that cannot leave the function is one statement; one that can is not followed.
        if (LOOPS.has(item.type) && item.descendantsOfType(["return_statement", "goto_statement"]).length > 0)
          return "is followed by a loop or switch that can leave the function";
        stack.push(after(item, body));
    }
  }
  return undefined;
}

function functionBody(node: SyntaxNode): SyntaxNode | undefined {
  for (let current: SyntaxNode | null = node; current !== null; current = current.parent) {
    if (current.type === "compound_statement" && current.parent?.type === "function_definition")
      return current;
  }
  return undefined;
}

/** The statement that runs after `node`, or why that is not known. */
function after(node: SyntaxNode, body: SyntaxNode): SyntaxNode | string {
  let current = node;
  for (;;) {
    if (current.id === body.id) return "falls off the end of the function";
    const parent = current.parent;
    if (parent === null) return "falls off the end of the function";
    if (parent.type === "compound_statement" || parent.type.startsWith("preproc_")) {
      for (let next = current.nextNamedSibling; next !== null; next = next.nextNamedSibling)
        if (isStatement(next)) return next;
      current = parent;
      continue;
    }
    if (LOOPS.has(parent.type)) return "is inside a loop or switch";
    current = parent;
  }
}

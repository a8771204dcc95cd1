/**
 * The module's functions as `fix` edits them: who calls whom, what the drivers register as
 * callbacks, and where a function is named other than in a call, so a function left empty by
 * a deletion goes only with every use of it.
 */
import { DEVM_ACTION_REGISTRARS } from "../catalog.js";
import { ModuleGraph, type FunctionRef } from "../model/graph.js";
import type { ParsedFile, SyntaxNode } from "./syntax.js";

const COMMENT = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;

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

/**
 * The module's functions as `fix` edits them: who calls whom, what the drivers register as
 * callbacks, and where a function is named other than in a call, so a function left empty by
 * a deletion goes only with every use of it.
 */
import { ModuleRoles } from "../model/classify.js";
import { ModuleGraph, type CallRef, type FunctionRef } from "../model/graph.js";
import type { ParsedFile, SyntaxNode } from "./syntax.js";

const COMMENT = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;

/** The module's functions, who calls whom, the model's entry roles, and every mention of a name. */
export class ModuleCalls {
  readonly graph: ModuleGraph;
  readonly roles: ModuleRoles;
  private readonly valueRefs = new Map<string, number>();
  private readonly callRefs = new Map<string, number>();

  constructor(readonly files: readonly ParsedFile[]) {
    const facts = files.map((file) => file.facts);
    this.graph = new ModuleGraph(facts);
    this.roles = new ModuleRoles(this.graph, facts);
    for (const file of files) {
      // Every mention of a name, in code: what a function dropped whole must have no more of.
      const code = file.text.replace(COMMENT, " ");
      for (const match of code.matchAll(/\b([A-Za-z_]\w*)\b(\s*\()?/g)) {
        const name = match[1] as string;
        const refs = match[2] === undefined ? this.valueRefs : this.callRefs;
        refs.set(name, (refs.get(name) ?? 0) + 1);
      }
    }
  }

  /** How many times `name(` appears in the module's code: calls, the definition, prototypes. */
  callReferences(name: string): number {
    return this.callRefs.get(name) ?? 0;
  }

  /** How many times `name` is named other than in a call, in the module. */
  valueReferences(name: string): number {
    return this.valueRefs.get(name) ?? 0;
  }

  /** What the kernel runs the function as: probe, remove, a devm action, a pointer's target. */
  rolesOf(ref: FunctionRef): Set<string> {
    return new Set(this.roles.rolesOf(ref).map((role) => role.kind));
  }

  callersOf(ref: FunctionRef): CallRef[] {
    return this.graph.callersOf(ref);
  }

  nodeOfFunction(ref: FunctionRef): SyntaxNode | undefined {
    const file = this.files[ref.file] as ParsedFile;
    const fn = this.graph.fn(ref);
    return file.tree.rootNode
      .descendantsOfType("function_definition", { row: fn.line - 1, column: 0 }, { row: fn.line, column: 0 })
      .find((node) => node.startPosition.row === fn.line - 1);
  }
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

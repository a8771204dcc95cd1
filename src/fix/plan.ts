/**
 * What the patch of one module changes: the explicit teardown releases deleted (with what their
 * removal drags along: an `if` left empty, a label left with nothing to label, a local left
 * unused, the comment that announced the release) and, where pcim_alloc_irq_vectors() exists,
 * the hybrid allocators renamed. Anything that cannot be done mechanically and safely gives a
 * reason instead of a patch. Pure: parsed files in, new texts out.
 */
import { allocatesMsi, catalogEntry, devmCallback } from "../catalog.js";
import type { FunctionRef } from "../model/graph.js";
import type { Finding, Status } from "../report/types.js";
import { RENAMEABLE_ALLOCATORS, whyKept } from "./edits.js";
import { isPure } from "../parse/pure.js";
import { isStatement, ModuleCalls, statementAt } from "./safety.js";
import { releaseTree } from "../parse/backend.js";
import { callAt, parseTree, syntaxErrors, type ParsedFile, type SyntaxNode } from "./syntax.js";

export interface ModuleWork {
  unit: string;
  module: string;
  status: Status;
  findings: Finding[];
}

export interface FileChange {
  path: string;
  before: string;
  after: string;
}

export interface RemovedRelease {
  path: string;
  line: number;
  callee: string;
  function: string;
  /** How the release is reached: `remove`, `probe`, `devm-action`, or `helper`. */
  reach: string;
}

export interface ModulePlan {
  unit: string;
  module: string;
  status: Status;
  changes: FileChange[];
  /** Why there is no patch (changes is empty), or why a patch does less than asked. */
  reason?: string;
  removed: RemovedRelease[];
  /** Teardown releases that stay: the finding proposes no deletion, and says why. */
  kept: { path: string; line: number; callee: string; why: string }[];
  converted: { callee: string; function: string }[];
  allocators: string[];
  /** Labels merged into the next one because their only statement went. */
  mergedLabels: { from: string; to: string }[];
  removedLocals: string[];
  /** Locals a deletion left unused that stay (declared with others, or set with side effects). */
  keptLocals: string[];
  /** Functions that only released the vectors, dropped with their calls or devm registrations. */
  removedFunctions: string[];
}

export interface PlanOptions {
  /** Convert hybrid allocators to pcim_alloc_irq_vectors() (tree has it, or --assume-pcim-api). */
  convert: boolean;
}

const TEARDOWN_RULES = new Set(["msi-double-release", "msi-converted-double-release"]);

interface TextEdit {
  start: number;
  end: number;
  text: string;
}

class FailedEdit extends Error {}

/** Deletions in one file, normalised so the C that stays is valid and kernel-style. */
class FileEditor {
  readonly deleted = new Map<number, SyntaxNode>();
  readonly emptiedLabels = new Map<number, SyntaxNode>();
  readonly edits: TextEdit[] = [];
  readonly mergedLabels: { from: string; to: string }[] = [];
  readonly removedLocals: string[] = [];
  /** Locals left unused that could not go with a plain edit. */
  readonly keptLocals: string[] = [];

  constructor(readonly file: ParsedFile) {}

  private fail(node: SyntaxNode, why: string): never {
    throw new FailedEdit(`${this.file.path}:${node.startPosition.row + 1}: ${why}`);
  }

  private inDeleted(node: SyntaxNode): boolean {
    for (let current: SyntaxNode | null = node; current !== null; current = current.parent)
      if (this.deleted.has(current.id)) return true;
    return false;
  }

  /** Deletes a statement, and its container when that would be left empty. */
  remove(node: SyntaxNode): void {
    if (this.deleted.has(node.id)) return;
    const parent = node.parent;
    if (parent === null) this.fail(node, "the release is not in a function");
    switch (parent.type) {
      case "compound_statement": {
        const siblings = parent.namedChildren.filter(isStatement);
        if (siblings.every((sibling) => sibling.id === node.id || this.deleted.has(sibling.id))) {
          // A function left with an empty body is valid C: it stays so, unless dropWrapper()
          // could drop it with its uses.
          this.deleted.set(node.id, node);
          if (parent.parent?.type === "function_definition") return;
          this.remove(parent);
          return;
        }
        this.deleted.set(node.id, node);
        return;
      }
      case "labeled_statement":
        this.deleted.set(node.id, node);
        this.emptiedLabels.set(parent.id, parent);
        return;
      case "if_statement": {
        if (parent.childForFieldName("consequence")?.id !== node.id)
          this.fail(node, "the release is part of an if condition");
        const alternative = parent.childForFieldName("alternative");
        if (alternative !== null && !this.deleted.has(alternative.id))
          this.fail(node, "the release is the body of an if that has an else branch");
        const condition = parent.childForFieldName("condition");
        if (condition !== null && !isPure(condition))
          this.fail(
            parent,
            `the condition ${condition.text} has side effects, so the if cannot go with the release`,
          );
        this.deleted.set(node.id, node);
        this.remove(parent);
        return;
      }
      case "else_clause":
        this.deleted.set(parent.id, parent);
        return;
      default:
        this.fail(node, `the release is inside ${parent.type.replace(/_/g, " ")}`);
    }
  }

  /** A whole function definition (a wrapper left with nothing to do). */
  deleteFunction(fn: SyntaxNode): void {
    this.deleted.set(fn.id, fn);
  }

  /** Deletes an initialiser field (`.remove = foo_remove,`) with its line. */
  deleteField(pair: SyntaxNode): void {
    const comma = pair.nextSibling?.type === "," ? pair.nextSibling : null;
    this.deleteLines(pair.startIndex, (comma ?? pair).endIndex, pair);
  }

  /** Replaces a statement's text in place. */
  replace(node: SyntaxNode, text: string): void {
    this.edits.push({ start: node.startIndex, end: node.endIndex, text });
  }

  /** Locals whose only uses went with the deleted code: their declarations go too. */
  removeUnusedLocals(): void {
    for (let changed = true; changed;) {
      changed = false;
      for (const node of this.topmost()) {
        const body = functionBodyOf(node);
        if (body === undefined) continue;
        for (const name of identifiersIn(node)) {
          const declaration = declarationOf(body, name);
          if (declaration === undefined || this.deleted.has(declaration.id)) continue;
          const uses = body
            .descendantsOfType("identifier")
            .filter((use) => use.text === name && !this.inDeleted(use) && !within(use, declaration));
          if (uses.length > 0) {
            if (uses.every(isAssigned)) this.keptLocals.push(`${name} (now set but unused)`);
            continue;
          }
          // A local the deletion leaves unused goes, unless that is not a plain edit: then it
          // stays, and the patch note says so (the deletion itself is what the finding proposes).
          const declarators = declaration.childrenForFieldName("declarator");
          const value = declarators[0]?.childForFieldName("value");
          if (declarators.length !== 1 || (value !== null && value !== undefined && !isPure(value))) {
            if (!this.keptLocals.includes(`${name} (now unused)`))
              this.keptLocals.push(`${name} (now unused)`);
            continue;
          }
          this.remove(declaration);
          this.removedLocals.push(name);
          changed = true;
        }
      }
    }
  }

  /** Deleted nodes not inside another deleted node. */
  topmost(): SyntaxNode[] {
    return [...this.deleted.values()]
      .filter((node) => node.parent === null || !this.inDeleted(node.parent))
      .sort((a, b) => a.startIndex - b.startIndex);
  }

  /** Labels whose statement went: merged into the next label, or kept before the next statement. */
  settleLabels(): void {
    const target = new Map<string, string>();
    const labels = [...this.emptiedLabels.values()].sort((a, b) => b.startIndex - a.startIndex);
    for (const labeled of labels) {
      const name = labelName(labeled);
      let next = labeled.nextNamedSibling;
      while (next !== null && (next.type === "comment" || !isStatement(next) || this.deleted.has(next.id)))
        next = next.nextNamedSibling;
      if (next !== null && next.type !== "labeled_statement") continue;
      const fn = functionOf(labeled);
      if (fn === undefined) this.fail(labeled, "label outside a function");
      let replacement: string;
      if (next !== null) {
        const nextName = labelName(next);
        const resolved = target.get(nextName) ?? nextName;
        target.set(name, resolved);
        this.mergedLabels.push({ from: name, to: resolved });
        replacement = `goto ${resolved};`;
      } else if (returnsVoid(fn)) {
        replacement = "return;";
      } else {
        this.fail(labeled, `removing it would leave label ${name}: at the end of ${functionName(fn)}()`);
      }
      // The label's line goes; gotos to it go where it led.
      const labelEnd = labeled.startIndex + labeled.text.indexOf(":") + 1;
      this.deleteLines(labeled.startIndex, labelEnd, labeled);
      for (const jump of fn.descendantsOfType("goto_statement")) {
        if (gotoLabel(jump) !== name) continue;
        this.edits.push({ start: jump.startIndex, end: jump.endIndex, text: replacement });
      }
    }
    // A goto retargeted to a label that was itself merged later in the loop: resolve chains.
    for (const edit of this.edits) {
      const match = /^goto (\w+);$/.exec(edit.text);
      const final = match === null ? undefined : target.get(match[1] as string);
      if (final !== undefined) edit.text = `goto ${final};`;
    }
  }

  /** Deletes the whole lines of [start, end), which must hold nothing else but a trailing comment. */
  private deleteLines(start: number, end: number, node: SyntaxNode): void {
    const text = this.file.text;
    const lineStart = text.lastIndexOf("\n", start - 1) + 1;
    if (text.slice(lineStart, start).trim() !== "")
      this.fail(node, "the code shares its line with other code");
    let lineEnd = text.indexOf("\n", end);
    if (lineEnd < 0) lineEnd = text.length;
    const rest = text.slice(end, lineEnd).replace(/\/\*.*?\*\/|\/\/.*$/g, "");
    if (rest.trim() !== "") this.fail(node, "the code shares its line with other code");
    this.edits.push({ start: lineStart, end: Math.min(text.length, lineEnd + 1), text: "" });
  }

  /** Text edits for the deleted statements, with the comment that announced them. */
  deletionEdits(): void {
    for (const node of this.topmost()) {
      if (node.type === "else_clause") {
        const consequence = node.parent?.childForFieldName("consequence");
        if (consequence === null || consequence === undefined) this.fail(node, "else without if");
        this.edits.push({ start: consequence.endIndex, end: node.endIndex, text: "" });
        continue;
      }
      let start = node.startIndex;
      const previous = node.previousNamedSibling;
      if (
        previous?.type === "comment" &&
        previous.endPosition.row === node.startPosition.row - 1 &&
        (node.type === "function_definition" || /irq|vector|msi|interrupt/i.test(previous.text)) &&
        this.file.text
          .slice(this.file.text.lastIndexOf("\n", previous.startIndex - 1) + 1, previous.startIndex)
          .trim() === ""
      ) {
        start = previous.startIndex;
      }
      this.deleteLines(start, node.endIndex, node);
    }
  }

  /**
   * `if (c) {` left with one one-line statement loses its braces, as checkpatch asks; not in
   * an if/else chain, where the braces keep the branches alike.
   */
  dropBraces(): void {
    const blocks = new Map<number, SyntaxNode>();
    for (const node of this.topmost()) {
      const block = node.parent;
      if (block?.type === "compound_statement" && !this.inDeleted(block)) blocks.set(block.id, block);
    }
    for (const block of blocks.values()) {
      const owner = block.parent;
      if (owner?.type !== "if_statement" || owner.childForFieldName("consequence")?.id !== block.id) continue;
      if (owner.childForFieldName("alternative") !== null || owner.parent?.type === "else_clause") continue;
      const left = block.namedChildren.filter((child) => !this.deleted.has(child.id));
      const only = left[0];
      if (left.length !== 1 || only === undefined || !isStatement(only)) continue;
      if (only.startPosition.row !== only.endPosition.row) continue;
      const text = this.file.text;
      const open = block.startIndex;
      const close = block.endIndex - 1;
      let from = open;
      while (from > 0 && (text[from - 1] === " " || text[from - 1] === "\t")) from--;
      if (text[close] !== "}" || lineAt(text, open + 1)?.trim() !== "") continue;
      const closeLine = text.lastIndexOf("\n", close - 1) + 1;
      if (text.slice(closeLine, close).trim() !== "" || lineAt(text, close + 1)?.trim() !== "") continue;
      this.edits.push({ start: from, end: open + 1, text: "" });
      this.edits.push({ start: closeLine, end: text.indexOf("\n", close) + 1, text: "" });
    }
  }

  /** The new text; blank lines the deletions leave doubled or before a `}` go too. */
  apply(extra: readonly TextEdit[]): string {
    const text = this.file.text;
    const edits = [...this.edits, ...extra].sort((a, b) => a.start - b.start || a.end - b.end);
    const merged: TextEdit[] = [];
    for (const edit of edits) {
      const last = merged.at(-1);
      if (last !== undefined && edit.start < last.end) {
        if (edit.end <= last.end && edit.text === "" && last.text === "") continue;
        throw new FailedEdit(`${this.file.path}: overlapping edits`);
      }
      if (last !== undefined && edit.start === last.end && edit.text === "" && last.text === "") {
        last.end = edit.end;
        continue;
      }
      merged.push({ ...edit });
    }
    for (const edit of merged) {
      if (edit.text !== "" || text[edit.end - 1] !== "\n") continue;
      const before = lineBefore(text, edit.start);
      const after = lineAt(text, edit.end);
      const blank = (line: string | undefined): boolean => line !== undefined && line.trim() === "";
      const opens = (line: string | undefined): boolean =>
        line !== undefined && (/\{\s*$/.test(line) || /^\s*\w+:\s*$/.test(line));
      if ((blank(before) || opens(before)) && blank(after)) {
        edit.end += (after as string).length + 1;
      } else if (blank(before) && after !== undefined && /^\s*}/.test(after)) {
        edit.start -= (before as string).length + 1;
      }
    }
    let result = "";
    let at = 0;
    for (const edit of merged.sort((a, b) => a.start - b.start)) {
      if (edit.start < at) throw new FailedEdit(`${this.file.path}: overlapping edits`);
      result += text.slice(at, edit.start) + edit.text;
      at = edit.end;
    }
    return result + text.slice(at);
  }
}

function lineBefore(text: string, offset: number): string | undefined {
  if (offset === 0) return undefined;
  const start = text.lastIndexOf("\n", offset - 2) + 1;
  return text.slice(start, offset - 1);
}

function lineAt(text: string, offset: number): string | undefined {
  if (offset >= text.length) return undefined;
  const end = text.indexOf("\n", offset);
  return end < 0 ? undefined : text.slice(offset, end);
}

function within(node: SyntaxNode, container: SyntaxNode): boolean {
  return node.startIndex >= container.startIndex && node.endIndex <= container.endIndex;
}

function isAssigned(use: SyntaxNode): boolean {
  const parent = use.parent;
  return parent?.type === "assignment_expression" && parent.childForFieldName("left")?.id === use.id;
}

/** Identifiers a deleted node uses (not the functions it calls). */
function identifiersIn(node: SyntaxNode): Set<string> {
  const names = new Set<string>();
  for (const identifier of node.descendantsOfType("identifier")) {
    const parent = identifier.parent;
    if (parent?.type === "call_expression" && parent.childForFieldName("function")?.id === identifier.id)
      continue;
    names.add(identifier.text);
  }
  if (node.type === "identifier") names.add(node.text);
  return names;
}

function declarationOf(body: SyntaxNode, name: string): SyntaxNode | undefined {
  return body
    .descendantsOfType("declaration")
    .find((declaration) =>
      declaration.childrenForFieldName("declarator").some((declarator) => declaredName(declarator) === name),
    );
}

function declaredName(node: SyntaxNode): string | undefined {
  let current: SyntaxNode | null = node;
  while (current !== null && current.type !== "identifier") {
    current = current.childForFieldName("declarator");
  }
  return current?.text;
}

function functionOf(node: SyntaxNode): SyntaxNode | undefined {
  for (let current = node.parent; current !== null; current = current.parent)
    if (current.type === "function_definition") return current;
  return undefined;
}

function functionBodyOf(node: SyntaxNode): SyntaxNode | undefined {
  return functionOf(node)?.childForFieldName("body") ?? undefined;
}

export function functionName(fn: SyntaxNode): string {
  let declarator = fn.childForFieldName("declarator");
  while (declarator !== null && declarator.type !== "function_declarator")
    declarator = declarator.childForFieldName("declarator");
  return declarator?.childForFieldName("declarator")?.text ?? "?";
}

function returnsVoid(fn: SyntaxNode): boolean {
  return (
    fn.childForFieldName("type")?.text === "void" &&
    fn.childForFieldName("declarator")?.type === "function_declarator"
  );
}

function labelName(labeled: SyntaxNode): string {
  return labeled.childForFieldName("label")?.text ?? /^\s*(\w+)/.exec(labeled.text)?.[1] ?? "";
}

function gotoLabel(jump: SyntaxNode): string {
  return jump.childForFieldName("label")?.text ?? /goto\s+(\w+)/.exec(jump.text)?.[1] ?? "";
}

/** The release a teardown finding points at: its callee, from the last evidence step. */
function releaseCallee(finding: Finding): string {
  const release = finding.evidence.findLast((step) => step.role === "release");
  return /^(\w+)/.exec(release?.text ?? "")?.[1] ?? "";
}

function reachWord(finding: Finding): string {
  const kind = finding.evidence.find((step) => step.role === "entry")?.path;
  return kind === "remove"
    ? "remove"
    : kind === "probe-error"
      ? "probe"
      : kind === "devm-action"
        ? "devm-action"
        : "helper";
}

export function planModule(work: ModuleWork, files: readonly ParsedFile[], options: PlanOptions): ModulePlan {
  const plan: ModulePlan = {
    unit: work.unit,
    module: work.module,
    status: work.status,
    changes: [],
    removed: [],
    kept: [],
    converted: [],
    allocators: [],
    mergedLabels: [],
    removedLocals: [],
    keptLocals: [],
    removedFunctions: [],
  };
  const byPath = new Map(files.map((file, index) => [file.path, { file, index }]));
  const allCalls = files.flatMap((file) =>
    file.facts.calls.filter((call) => call.fn >= 0).map((call) => ({ file, call })),
  );
  plan.allocators = [
    ...new Set(
      allCalls
        .filter(({ call }) => call.role === "hybrid-alloc" && allocatesMsi(call))
        .map(({ call }) => call.callee),
    ),
  ].sort();
  // The classification decided which releases may go: those whose finding proposes the
  // deletion. The others stay, and the finding says what to do instead.
  const teardown = work.findings.filter((finding) => TEARDOWN_RULES.has(finding.ruleId));
  const deletions = teardown.filter((finding) => finding.fix.edits.length > 0);
  plan.kept = teardown
    .filter((finding) => finding.fix.edits.length === 0)
    .map((finding) => ({
      path: finding.file,
      line: finding.line,
      callee: releaseCallee(finding),
      why: whyKept(finding.fix),
    }));
  const wantsConversion = options.convert && work.status !== "converted-double-release";
  if (deletions.length === 0 && !wantsConversion) {
    plan.reason =
      teardown.length > 0
        ? `no release can simply go: ${plan.kept.map((kept) => `${kept.callee}() at ${kept.path}:${kept.line}: ${kept.why}`).join("; ")}`
        : "relies on the hidden devres cleanup: it needs pcim_alloc_irq_vectors(), which this tree does not declare (--assume-pcim-api writes the conversion anyway)";
    return plan;
  }
  const calls = new ModuleCalls(files);
  const editors = new Map<string, FileEditor>();
  const editorOf = (file: ParsedFile): FileEditor => {
    let editor = editors.get(file.path);
    if (editor === undefined) {
      editor = new FileEditor(file);
      editors.set(file.path, editor);
    }
    return editor;
  };

  try {
    // Later releases first, so an else branch is gone before its if is looked at.
    const seeds: { editor: FileEditor; statement: SyntaxNode }[] = [];
    const seen = new Set<string>();
    for (const finding of deletions) {
      const where = `${finding.file}:${finding.line}`;
      if (seen.has(where)) continue;
      seen.add(where);
      const entry = byPath.get(finding.file);
      if (entry === undefined) throw new FailedEdit(`${finding.file}: not readable`);
      const callee = releaseCallee(finding);
      const statement = callAt(entry.file, finding.line, finding.column, callee)?.parent;
      if (statement?.type !== "expression_statement")
        throw new FailedEdit(`${where}: ${callee}() is not the statement the finding names`);
      const fnIndex = entry.file.facts.functions.findIndex(
        (fn) => fn.line - 1 <= statement.startPosition.row && fn.endLine - 1 >= statement.startPosition.row,
      );
      if (fnIndex < 0) throw new FailedEdit(`${where}: ${callee}() is outside a function`);
      const fnRef: FunctionRef = { file: entry.index, fn: fnIndex };
      const fnNode = calls.nodeOfFunction(fnRef);
      const body = fnNode?.childForFieldName("body");
      const statements = body?.namedChildren.filter(
        (child) => isStatement(child) && child.type !== "declaration",
      );
      const wrapper =
        fnNode !== undefined && statements?.length === 1 && within(statement, statements[0] as SyntaxNode);
      // A function that only frees the vectors goes whole, with its calls, devm registrations
      // or `.remove =` field; where that is not a plain edit, it stays with an empty body.
      if (wrapper && dropWrapper(calls, fnRef, fnNode, editorOf, seeds))
        plan.removedFunctions.push(calls.graph.fn(fnRef).name);
      else seeds.push({ editor: editorOf(entry.file), statement });
      plan.removed.push({
        path: finding.file,
        line: finding.line,
        callee,
        function: calls.graph.fn(fnRef).name,
        reach: reachWord(finding),
      });
    }
    for (const { editor, statement } of seeds.sort((a, b) => b.statement.startIndex - a.statement.startIndex))
      editor.remove(statement);
    for (const editor of editors.values()) {
      editor.removeUnusedLocals();
      editor.settleLabels();
      editor.deletionEdits();
      editor.dropBraces();
      plan.mergedLabels.push(...editor.mergedLabels);
      plan.removedLocals.push(...editor.removedLocals);
      plan.keptLocals.push(...editor.keptLocals);
    }
  } catch (error) {
    if (!(error instanceof FailedEdit)) throw error;
    plan.reason = error.message;
    plan.removed = [];
    return plan;
  }

  // Conversion: every MSI allocation renamed, and no release left that would then free
  // vectors pcim_alloc_irq_vectors() owns.
  const renames = new Map<string, TextEdit[]>();
  if (wantsConversion) {
    const problem = conversionProblem(allCalls, plan, (file, call) => {
      const callNode = callAt(file, call.line, call.column, call.callee);
      const node = callNode?.childForFieldName("function");
      if (callNode === undefined || node === null || node === undefined) return false;
      const renamed = RENAMEABLE_ALLOCATORS[call.callee] as string;
      const list = renames.get(file.path) ?? [];
      list.push({ start: node.startIndex, end: node.endIndex, text: renamed });
      list.push(...realign(file, callNode, renamed.length - call.callee.length));
      renames.set(file.path, list);
      plan.converted.push({ callee: call.callee, function: file.facts.functions[call.fn]?.name ?? "?" });
      return true;
    });
    if (problem !== undefined) {
      renames.clear();
      plan.converted = [];
      if (plan.removed.length === 0) {
        plan.reason = `not converted: ${problem}`;
        return plan;
      }
      plan.reason = `releases dropped but not converted: ${problem}`;
    }
  }

  for (const file of files) {
    const editor = editors.get(file.path);
    const extra = renames.get(file.path) ?? [];
    if (editor === undefined && extra.length === 0) continue;
    let after: string;
    try {
      after = (editor ?? new FileEditor(file)).apply(extra);
    } catch (error) {
      if (!(error instanceof FailedEdit)) throw error;
      return { ...plan, changes: [], removed: [], converted: [], reason: error.message };
    }
    // The edit must not make the file harder to parse than it was.
    const edited = parseTree(after);
    const worse = syntaxErrors(edited) > syntaxErrors(file.tree);
    releaseTree(edited);
    if (worse) {
      return {
        ...plan,
        changes: [],
        removed: [],
        converted: [],
        reason: `${file.path}: the edited file no longer parses cleanly`,
      };
    }
    if (after !== file.text) plan.changes.push({ path: file.path, before: file.text, after });
  }
  if (plan.changes.length === 0 && plan.reason === undefined) plan.reason = "nothing to change";
  return plan;
}

/**
 * Drops a function whose only statement is the release, when every use of it goes with a
 * plain edit: it must be static; a `.remove` callback loses its `.remove =` field (the PCI
 * core runs nothing in its place); a helper loses its plain call statements and its
 * devm_add_action*() registrations in one of the kernel's two shapes (`ret =
 * devm_add_action_or_reset(...); if (ret) ...return ret;` or `return devm_add_action(...);`).
 * False, with nothing changed, when one use is anything else.
 */
function dropWrapper(
  calls: ModuleCalls,
  fnRef: FunctionRef,
  fnNode: SyntaxNode,
  editorOf: (file: ParsedFile) => FileEditor,
  seeds: { editor: FileEditor; statement: SyntaxNode }[],
): boolean {
  const fn = calls.graph.fn(fnRef);
  // A devm action or a .remove can go with its registration; any other role cannot.
  const roles = [...calls.rolesOf(fnRef)];
  if (!fn.isStatic || roles.some((role) => role !== "remove" && role !== "devm-action")) return false;
  const actions: (() => void)[] = [];
  let uses = 0;
  for (const ref of calls.callersOf(fnRef)) {
    const site = calls.graph.call(ref);
    const file = calls.files[ref.file] as ParsedFile;
    const node = statementAt(file, site.startByte);
    if (node?.type !== "expression_statement" || node.namedChildren[0]?.type !== "call_expression")
      return false;
    actions.push(() => seeds.push({ editor: editorOf(file), statement: node }));
    uses++;
  }
  for (const file of calls.files) {
    for (const pair of removeFields(file, fn.name)) {
      actions.push(() => editorOf(file).deleteField(pair));
      uses++;
    }
    for (const site of file.facts.calls) {
      if (devmCallback(site) !== fn.name) continue;
      const registration = callAt(file, site.line, site.column, site.callee);
      if (registration === undefined) return false;
      const parent = registration.parent;
      uses++;
      if (parent?.type === "return_statement") {
        actions.push(() => editorOf(file).replace(parent, "return 0;"));
        continue;
      }
      const statement = parent?.type === "assignment_expression" ? parent.parent : null;
      const variable = parent?.childForFieldName("left")?.text;
      let next = statement?.nextNamedSibling ?? null;
      while (next?.type === "comment") next = next.nextNamedSibling;
      if (
        statement?.type !== "expression_statement" ||
        variable === undefined ||
        next?.type !== "if_statement" ||
        !checksOnly(next, variable)
      )
        return false;
      const test = next;
      actions.push(() =>
        seeds.push({ editor: editorOf(file), statement }, { editor: editorOf(file), statement: test }),
      );
    }
  }
  // Declared or named anywhere else (a prototype, an ops table): it stays.
  if (calls.callReferences(fn.name) !== calls.callersOf(fnRef).length + 1) return false;
  if (uses - calls.callersOf(fnRef).length !== calls.valueReferences(fn.name)) return false;
  for (const action of actions) action();
  editorOf(calls.files[fnRef.file] as ParsedFile).deleteFunction(fnNode);
  return true;
}

/** The `.remove = name` fields of the file's struct pci_driver initialisers. */
function removeFields(file: ParsedFile, name: string): SyntaxNode[] {
  if (!file.facts.drivers.some((driver) => driver.remove === name)) return [];
  return file.tree.rootNode
    .descendantsOfType("initializer_pair")
    .filter(
      (pair) =>
        pair.childForFieldName("designator")?.text.replace(/\s+/g, "") === ".remove" &&
        pair.childForFieldName("value")?.text.trim() === name,
    );
}

/** `if (ret)` / `if (ret < 0)` with no else, whose body only logs and returns `ret`. */
function checksOnly(test: SyntaxNode, variable: string): boolean {
  if (test.childForFieldName("alternative") !== null) return false;
  const condition = test.childForFieldName("condition")?.text.replace(/\s+/g, "") ?? "";
  if (!new RegExp(`^\\((unlikely\\()?${variable}(<0|!=0)?\\)?\\)$`).test(condition)) return false;
  const body = test.childForFieldName("consequence");
  const statements =
    body?.type === "compound_statement"
      ? body.namedChildren.filter(isStatement)
      : body === null
        ? []
        : [body];
  const last = statements.at(-1);
  if (last?.type !== "return_statement" || last.text.replace(/\s+/g, "") !== `return${variable};`)
    return false;
  return statements
    .slice(0, -1)
    .every(
      (statement) =>
        statement.type === "expression_statement" &&
        /^\s*(dev|pci|pr|netdev)_(err|warn|info|dbg)\w*\s*\(/.test(statement.text),
    );
}

/** Visual column (tabs of 8) of `offset`, which is on the line starting at `lineStart`. */
function visualColumn(text: string, lineStart: number, offset: number): number {
  let column = 0;
  for (let i = lineStart; i < offset; i++) column = text[i] === "\t" ? (column + 8) & ~7 : column + 1;
  return column;
}

/**
 * Continuation lines aligned on the call's open parenthesis move with it when the callee's
 * name grows (checkpatch: "Alignment should match open parenthesis"), in kernel whitespace.
 */
function realign(file: ParsedFile, call: SyntaxNode, growth: number): TextEdit[] {
  const args = call.childForFieldName("arguments");
  if (args === null || growth === 0) return [];
  const text = file.text;
  const openLine = file.lineStarts[args.startPosition.row] as number;
  const aligned = visualColumn(text, openLine, args.startIndex) + 1;
  const edits: TextEdit[] = [];
  for (let row = args.startPosition.row + 1; row <= args.endPosition.row; row++) {
    const start = file.lineStarts[row] as number;
    let first = start;
    while (text[first] === " " || text[first] === "\t") first++;
    if (visualColumn(text, start, first) !== aligned) continue;
    const target = aligned + growth;
    edits.push({ start, end: first, text: "\t".repeat(Math.floor(target / 8)) + " ".repeat(target % 8) });
  }
  return edits;
}

/** Why the module cannot be converted, or undefined after registering every rename. */
function conversionProblem(
  allCalls: readonly { file: ParsedFile; call: ParsedFile["facts"]["calls"][number] }[],
  plan: ModulePlan,
  rename: (file: ParsedFile, call: ParsedFile["facts"]["calls"][number]) => boolean,
): string | undefined {
  const unmanaged = allCalls.find(({ call }) => call.role === "unmanaged-enable");
  if (unmanaged !== undefined)
    return `${unmanaged.file.path}:${unmanaged.call.line} also enables a device with ${unmanaged.call.callee}()`;
  const removed = new Set(plan.removed.map((release) => `${release.path}:${release.line}`));
  const kept = allCalls.find(
    ({ file, call }) => call.role === "release" && !removed.has(`${file.path}:${call.line}`),
  );
  if (kept !== undefined)
    return `${kept.call.callee}() at ${kept.file.path}:${kept.call.line} stays (the finding proposes no deletion for it), and would then release vectors devres owns`;
  const allocs = allCalls.filter(({ call }) => call.role === "hybrid-alloc" && allocatesMsi(call));
  const other = allocs.find(({ call }) => RENAMEABLE_ALLOCATORS[call.callee] === undefined);
  if (other !== undefined)
    return `${other.call.callee}() at ${other.file.path}:${other.call.line} has no drop-in pcim_ counterpart (it returns 0, not the vector count)`;
  for (const { file, call } of allocs) {
    if (catalogEntry(call.callee) === undefined || !rename(file, call))
      return `${call.callee}() at ${file.path}:${call.line} is not a plain call`;
  }
  return undefined;
}

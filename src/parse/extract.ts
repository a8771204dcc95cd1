/**
 * Builds FileFacts from a tree-sitter-c syntax tree. Comments and strings never count because
 * only call expressions are read; code the preprocessor removes (`#if 0`) is skipped; kernel
 * macros that tree-sitter cannot parse produce ERROR nodes, which are walked like any other
 * container so the calls inside them still count.
 *
 * Speed: crossing into the native tree costs about a microsecond per node, so the tree is read
 * once, with one descendantsOfType() call for the few node types that matter, into a light
 * tree of plain objects; everything else works on that tree and on the source text.
 */
import { descendantsOfTypes, type SyntaxNode, type Tree } from "./backend.js";
import {
  catalogEntry,
  DEVM_ACTION_REGISTRARS,
  OTHER_DEVICE_LOOKUPS,
  PCI_DRIVER_REGISTRARS,
} from "../catalog.js";
import {
  ENTRY_NODE,
  EXIT_NODE,
  type CallSite,
  type FileFacts,
  type PciDriverFacts,
  type StatementSpan,
  SUCCESS_RETURN,
} from "./facts.js";
import { isPure } from "./pure.js";
import { replaceNonCode, stripComments } from "./text.js";

/**
 * The node types the light tree keeps. Expression statements and declarations are left out
 * (they are most of the nodes): their calls become children of the enclosing statement, which
 * finds where a condition ends from the text.
 */
const KEPT = [
  "function_definition",
  "call_expression",
  "compound_statement",
  "if_statement",
  "else_clause",
  "for_statement",
  "while_statement",
  "do_statement",
  "switch_statement",
  "case_statement",
  "return_statement",
  "goto_statement",
  "labeled_statement",
  "break_statement",
  "continue_statement",
  "preproc_if",
  "preproc_ifdef",
  "preproc_elif",
  "preproc_elifdef",
  "preproc_else",
  "ERROR",
];

const STATEMENTS = new Set([
  "compound_statement",
  "if_statement",
  "for_statement",
  "while_statement",
  "do_statement",
  "switch_statement",
  "return_statement",
  "goto_statement",
  "labeled_statement",
  "break_statement",
  "continue_statement",
  "preproc_if",
  "preproc_ifdef",
  "ERROR",
]);
const PREPROC_ALTERNATIVES = new Set(["preproc_elif", "preproc_elifdef", "preproc_else"]);

interface Light {
  type: string;
  start: number;
  end: number;
  node: SyntaxNode;
  children: Light[];
}

const DEVM_REGISTRARS = new Set(DEVM_ACTION_REGISTRARS);
const LOOKUPS = new Set(OTHER_DEVICE_LOOKUPS);
// The arguments are bounded: unbounded, `X_PM_OPS(a,` repeated without `;` is quadratic.
const PM_OPS_MACRO = /\b\w*PM_OPS\w*\s*\(\s*(\w+)\s*,([^;]{0,1000}?)\)\s*;/g;
const REGISTRATION = new RegExp(
  `\\b(?:${PCI_DRIVER_REGISTRARS.join("|")})\\s*\\(\\s*&?\\s*(\\w+)\\s*[,)]`,
  "g",
);
const STRUCT_DECLARATION = /\bstruct\s+(pci_driver|dev_pm_ops)\s+\w/g;
const IDENTIFIER = /\b[A-Za-z_]\w*\b/g;
const CALLEE = /^([A-Za-z_]\w*)\s*\(/;
/** `PTR_IF(false, foo)`: the kernel's way to name a function that is compiled out. */
const DEAD_POINTER = /\bPTR_IF\s*\(\s*(?:false|0)\s*,\s*&?\s*([A-Za-z_]\w*)\s*\)/g;
/**
 * A name standing alone as an operand (after `=`, `,`, `(`, `&`, `?`, `:`, a cast or `return`,
 * before `,`, `;`, `)`, `}`, `]` or `:`): a value, not a call, a field or a declaration's type.
 */
const OPERAND = /(?:[=,(&?:)]|\breturn)\s*([A-Za-z_]\w*)\s*(?=[,;)}\]:])/g;
/** `if (0)` and `if (false)`: the body is not code. */
const CONSTANT_FALSE = /^if\s*\(\s*(?:0|false)\s*\)$/;
/** `return;`, `return 0;`, `return (0);`. */
const SUCCESS = /^return\s*(?:\(\s*0\s*\)|0)?\s*;$/;
const PCI_DEV_DECLARATION = /\bstruct\s+pci_dev\s*\*\s*(?:const\s+)?([A-Za-z_]\w*)\s*(=\s*([^;,]*))?/g;
const BLANK = (match: string): string => " ".repeat(match.length);

/**
 * How deep the recursive walks below may go (nested statements, calls, preprocessor blocks).
 * Kernel code nests a few dozen levels; far deeper input is machine-made or hostile and would
 * overflow the stack, so the file is refused with this reason instead (the audit skips it with
 * a warning naming it). test/hostile-input.test.ts checks the limit is safe on every thread.
 */
export const MAX_NESTING = 1000;

export class NestingError extends Error {
  constructor() {
    super(`nested deeper than ${MAX_NESTING} levels (blocks, calls or #if)`);
  }
}

export function extractFacts(path: string, tree: Tree, source: string): FileFacts {
  return new Extractor(path, source).run(tree.rootNode);
}

function lightTree(root: SyntaxNode): Light[] {
  const top: Light[] = [];
  const stack: Light[] = [];
  for (const node of descendantsOfTypes(root, KEPT)) {
    const light: Light = { type: node.type, start: node.startIndex, end: node.endIndex, node, children: [] };
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      if (light.start >= top.start && light.end <= top.end && light.start < top.end) break;
      stack.pop();
    }
    const parent = stack.at(-1);
    (parent === undefined ? top : parent.children).push(light);
    stack.push(light);
  }
  return top;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** `foo`, `&foo`, `(void (*)(void *))foo` → `foo`. */
function referencedName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const stripped = text
    .replace(/^\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*/, "")
    .replace(/^&\s*/, "")
    .trim();
  return /^[A-Za-z_]\w*$/.test(stripped) ? stripped : undefined;
}

class Extractor {
  private readonly facts: FileFacts;
  private readonly lineStarts: number[] = [0];
  private readonly otherDeviceFields = new Set<string>();

  // Per-function state while its flow graph is built.
  private fnIndex = -1;
  private call: number[] = [];
  private succ: number[][] = [];
  private labels = new Map<string, number>();
  private breakTargets: number[] = [];
  private continueTargets: number[] = [];
  private otherDeviceLocals = new Set<string>();
  /** Active recursive calls of the walks; bounded by MAX_NESTING. */
  private depth = 0;

  constructor(
    path: string,
    private readonly source: string,
  ) {
    this.facts = {
      path,
      functions: [],
      calls: [],
      drivers: [],
      pmOps: [],
      registeredDrivers: [],
      otherDeviceFields: [],
      valueRefs: {},
      deadRefs: [],
      parseErrors: 0,
    };
    for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) this.lineStarts.push(i + 1);
  }

  run(root: SyntaxNode): FileFacts {
    const top = lightTree(root);
    this.facts.parseErrors = root.hasError ? Math.max(1, countType(top, "ERROR")) : 0;
    this.topLevel(top);
    this.structDeclarations(root);
    this.textFacts();
    this.valueReferences();
    this.facts.otherDeviceFields = [...this.otherDeviceFields].sort();
    return this.facts;
  }

  /** FileFacts.valueRefs and deadRefs, from the code without comments and literals. */
  private valueReferences(): void {
    const dead = new Set<string>();
    const code = replaceNonCode(this.source, { literals: true }, BLANK).replace(
      DEAD_POINTER,
      (match, name) => {
        dead.add(name as string);
        return " ".repeat(match.length);
      },
    );
    const refs: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const match of code.matchAll(OPERAND)) {
      const name = match[1] as string;
      refs[name] = (refs[name] ?? 0) + 1;
    }
    this.facts.valueRefs = { ...refs };
    this.facts.deadRefs = [...dead].filter((name) => refs[name] === undefined).sort();
  }

  private position(index: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] as number) <= index) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: index - (this.lineStarts[low] as number) + 1 };
  }

  private text(light: { start: number; end: number }): string {
    return this.source.slice(light.start, light.end);
  }

  /** PM ops macros and driver registrations, read from the text without comments. */
  private textFacts(): void {
    const code =
      this.source.includes("PM_OPS") || this.source.includes("pci_driver") ? stripComments(this.source) : "";
    for (const match of code.matchAll(PM_OPS_MACRO)) {
      this.facts.pmOps.push({
        name: match[1] as string,
        callbacks: (match[2] ?? "").match(IDENTIFIER) ?? [],
      });
    }
    const registered = new Set<string>();
    for (const match of code.matchAll(REGISTRATION)) registered.add(match[1] as string);
    this.facts.registeredDrivers = [...registered].sort();
  }

  private topLevel(nodes: readonly Light[]): void {
    this.enter();
    this.topLevelNodes(nodes);
    this.depth--;
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw new NestingError();
  }

  private topLevelNodes(nodes: readonly Light[]): void {
    for (const light of nodes) {
      switch (light.type) {
        case "function_definition":
          this.functionDefinition(light);
          break;
        case "preproc_if":
          if (this.isAlwaysFalse(light)) {
            this.topLevel(light.children.filter((child) => PREPROC_ALTERNATIVES.has(child.type)));
            break;
          }
          this.topLevel(this.withoutConditionCalls(light));
          break;
        case "call_expression":
          this.outsideFunction(light);
          break;
        default:
          this.topLevel(light.children);
      }
    }
  }

  /** Calls at file scope (macro invocations): recorded with fn = -1 so nothing is lost. */
  private outsideFunction(light: Light): void {
    this.enter();
    for (const child of light.children) if (child.type === "call_expression") this.outsideFunction(child);
    this.recordCall(light, -1);
    this.depth--;
  }

  private isAlwaysFalse(light: Light): boolean {
    if (light.type !== "preproc_if") return false;
    const newline = this.source.indexOf("\n", light.start);
    const line = stripComments(this.source.slice(light.start, newline < 0 ? light.end : newline));
    return /^#\s*if\s*\(*\s*0\s*\)*\s*$/.test(line.trim());
  }

  /** Children of a preprocessor conditional, without the calls of its `#if` line. */
  private withoutConditionCalls(light: Light): Light[] {
    const newline = this.source.indexOf("\n", light.start);
    const bodyStart = newline < 0 ? light.end : newline;
    return light.children.filter((child) => child.start >= bodyStart);
  }

  /**
   * `struct pci_driver` and `struct dev_pm_ops` initialisers, found from the text (they are few)
   * and read from the syntax tree; one in `#if 0` does not count.
   */
  private structDeclarations(root: SyntaxNode): void {
    if (!this.source.includes("pci_driver") && !this.source.includes("dev_pm_ops")) return;
    const seen = new Set<number>();
    for (const match of this.source.matchAll(STRUCT_DECLARATION)) {
      let node: SyntaxNode | null = root.descendantForIndex(match.index);
      while (node !== null && node.type !== "declaration") node = node.parent;
      if (node === null || seen.has(node.id) || !isLive(node)) continue;
      seen.add(node.id);
      for (const declarator of node.childrenForFieldName("declarator")) {
        if (declarator.type !== "init_declarator") continue;
        const variable = declaredName(declarator.childForFieldName("declarator"));
        const value = declarator.childForFieldName("value");
        if (variable === undefined || value?.type !== "initializer_list") continue;
        if (match[1] === "pci_driver") {
          this.facts.drivers.push(pciDriver(variable, value, node.startPosition.row + 1));
        } else {
          this.facts.pmOps.push({
            name: variable,
            callbacks: [...new Set(stripComments(value.text).match(IDENTIFIER) ?? [])],
          });
        }
      }
    }
  }

  private functionDefinition(light: Light): void {
    const node = light.node;
    const body = light.children.find((child) => child.type === "compound_statement");
    const name =
      declaredName(functionDeclarator(node.childForFieldName("declarator"))) ??
      (body === undefined ? undefined : nameFromHeader(this.source.slice(light.start, body.start)));
    if (name === undefined || body === undefined) {
      this.topLevel(light.children);
      return;
    }
    const header = this.source.slice(light.start, body.start);
    const nameAt = stripComments(header).search(new RegExp(`\\b${name}\\s*\\(`));
    const namePosition = this.position(light.start + Math.max(0, nameAt));
    this.fnIndex = this.facts.functions.length;
    this.call = [-1, -1];
    this.succ = [[], []];
    this.labels = new Map();
    this.breakTargets = [];
    this.continueTargets = [];
    this.otherDeviceLocals = new Set();
    // Reserve the slot so calls recorded while building the flow point at this function.
    this.facts.functions.push({
      name,
      isStatic: /\bstatic\b/.test(stripComments(header)),
      line: this.position(light.start).line,
      endLine: this.position(light.end).line,
      nameLine: namePosition.line,
      nameColumn: namePosition.column,
      flow: { call: [], succ: [] },
      otherDeviceLocals: [],
    });
    const first = this.statement(body, this.newNode(SUCCESS_RETURN, [EXIT_NODE]));
    this.succ[ENTRY_NODE] = [first];
    this.otherDeviceVariables(header, this.text(body));
    const facts = this.facts.functions[this.fnIndex];
    if (facts !== undefined) {
      facts.flow = { call: this.call, succ: this.succ };
      facts.otherDeviceLocals = [...this.otherDeviceLocals].sort();
    }
    this.fnIndex = -1;
  }

  /**
   * In a function handed a `struct pci_dev *`, a local `struct pci_dev *` set from anything but
   * that parameter is another device (a second PCI function, a parent port): its vectors are
   * not the probed device's.
   */
  private otherDeviceVariables(header: string, body: string): void {
    const parameters = new Set([...stripComments(header).matchAll(PCI_DEV_DECLARATION)].map((m) => m[1]));
    if (parameters.size === 0) return;
    const code = stripComments(body);
    for (const match of code.matchAll(PCI_DEV_DECLARATION)) {
      const local = match[1] as string;
      if (parameters.has(local)) continue;
      const values = match[3] === undefined ? [] : [match[3]];
      for (const assignment of code.matchAll(new RegExp(`(?<![\\w.>])${local}\\s*=(?!=)\\s*([^;]*);`, "g")))
        values.push(assignment[1] as string);
      const fromParameter = (value: string): boolean =>
        parameters.has(value.replace(/^\s*\([^()]*\)\s*/, "").trim());
      if (values.length > 0 && !values.every(fromParameter)) this.otherDeviceLocals.add(local);
    }
  }

  // ---- flow graph -------------------------------------------------------------------------

  private newNode(callIndex: number, next: number[]): number {
    this.call.push(callIndex);
    this.succ.push(next);
    return this.call.length - 1;
  }

  private labelNode(label: string): number {
    let node = this.labels.get(label);
    if (node === undefined) {
      node = this.newNode(-1, []);
      this.labels.set(label, node);
    }
    return node;
  }

  private sequence(nodes: readonly Light[], next: number): number {
    let entry = next;
    for (let i = nodes.length - 1; i >= 0; i--) entry = this.statement(nodes[i] as Light, entry);
    return entry;
  }

  /**
   * Where the parenthesised head of `if (...)`, `while (...)`, `for (...)` or `switch (...)`
   * ends: the calls before it are the condition's, the nodes after it the body's.
   */
  private headEnd(light: Light): number {
    const open = this.source.indexOf("(", light.start);
    if (open < 0 || open >= light.end) return light.start;
    let depth = 0;
    for (let i = open; i < light.end; i++) {
      const char = this.source[i];
      if (char === "(") depth++;
      else if (char === ")" && --depth === 0) return i + 1;
      else if (char === '"' || char === "'") i = skipLiteral(this.source, i, light.end);
      else if (char === "/" && this.source[i + 1] === "*")
        i = this.source.indexOf("*/", i + 2) + 1 || light.end;
      else if (char === "/" && this.source[i + 1] === "/")
        i = this.source.indexOf("\n", i) >>> 0 || light.end;
    }
    return light.end;
  }

  /** Children before and after the head of a statement. */
  private splitAtHead(light: Light): { head: Light[]; body: Light[] } {
    const end = this.headEnd(light);
    return {
      head: light.children.filter((child) => child.start < end),
      body: light.children.filter((child) => child.start >= end),
    };
  }

  /** Builds the flow of a statement, continuing at `next`; returns the node where it begins. */
  private statement(light: Light, next: number): number {
    this.enter();
    const entry = this.statementFlow(light, next);
    this.depth--;
    return entry;
  }

  private statementFlow(light: Light, next: number): number {
    switch (light.type) {
      case "compound_statement":
      case "ERROR":
        return this.sequence(light.children, next);
      case "if_statement": {
        const { head, body } = this.splitAtHead(light);
        const consequence = body.filter((child) => child.type !== "else_clause");
        const alternative = body.find((child) => child.type === "else_clause");
        const elseEntry = alternative === undefined ? next : this.sequence(alternative.children, next);
        // `if (0)`: the body is not code, as under `#if 0`; its calls are not recorded.
        if (CONSTANT_FALSE.test(this.source.slice(light.start, this.headEnd(light)).replace(/\s+/g, " ")))
          return elseEntry;
        const thenEntry = this.sequence(consequence, next);
        return this.expressions(head, this.newNode(-1, [thenEntry, elseEntry]));
      }
      case "while_statement":
      case "for_statement":
      case "do_statement": {
        // `do body while (test);`: the test is what follows the last `while`.
        const testStart =
          light.type === "do_statement"
            ? light.start + this.text(light).lastIndexOf("while")
            : this.headEnd(light);
        const inHead = (child: Light): boolean =>
          light.type === "do_statement" ? child.start >= testStart : child.start < testStart;
        const head = light.children.filter(inHead);
        const body = light.children.filter((child) => !inHead(child));
        const header = this.newNode(-1, []);
        this.breakTargets.push(next);
        this.continueTargets.push(header);
        const bodyEntry = this.sequence(body, header);
        this.breakTargets.pop();
        this.continueTargets.pop();
        const test = this.expressions(head, this.newNode(-1, [bodyEntry, next]));
        (this.succ[header] as number[]).push(test);
        return light.type === "do_statement" ? bodyEntry : test;
      }
      case "switch_statement": {
        const { head: calls, body } = this.splitAtHead(light);
        const cases = body.flatMap((child) =>
          child.type === "compound_statement" ? child.children : [child],
        );
        const dispatch = this.newNode(-1, []);
        this.breakTargets.push(next);
        let following = next;
        const entries: number[] = [];
        let hasDefault = false;
        for (let i = cases.length - 1; i >= 0; i--) {
          const item = cases[i] as Light;
          if (item.type === "case_statement") {
            if (/^default\b/.test(this.source.slice(item.start, item.start + 8))) hasDefault = true;
            following = this.sequence(item.children, following);
            entries.push(following);
          } else {
            following = this.statement(item, following);
          }
        }
        this.breakTargets.pop();
        this.succ[dispatch] = hasDefault ? entries : [...entries, next];
        return this.expressions(calls, dispatch);
      }
      case "return_statement":
        return this.expressions(
          light.children,
          SUCCESS.test(stripComments(this.text(light)).replace(/\s+/g, " ").trim())
            ? this.newNode(SUCCESS_RETURN, [EXIT_NODE])
            : EXIT_NODE,
        );
      case "goto_statement": {
        const label = /goto\s+(\w+)/.exec(this.text(light))?.[1] ?? "";
        return this.labelNode(label);
      }
      case "labeled_statement": {
        const label = /^\s*(\w+)/.exec(this.text(light))?.[1] ?? "";
        const target = this.labelNode(label);
        (this.succ[target] as number[]).push(this.sequence(light.children, next));
        return target;
      }
      case "break_statement":
        return this.breakTargets.at(-1) ?? next;
      case "continue_statement":
        return this.continueTargets.at(-1) ?? next;
      case "preproc_if":
      case "preproc_ifdef":
      case "preproc_elif":
      case "preproc_elifdef":
      case "preproc_else": {
        // Both sides of a configuration conditional may be compiled; `#if 0` never is.
        const children = light.type === "preproc_else" ? light.children : this.withoutConditionCalls(light);
        const alternative = children.find((child) => PREPROC_ALTERNATIVES.has(child.type));
        const body = children.filter((child) => child !== alternative);
        const elseEntry = alternative === undefined ? next : this.statement(alternative, next);
        if (this.isAlwaysFalse(light)) return elseEntry;
        if (light.type === "preproc_else") return this.sequence(body, next);
        return this.newNode(-1, [this.sequence(body, next), elseEntry]);
      }
      case "call_expression":
        return this.expressions([light], next);
      default:
        // case bodies and anything else: calls and nested statements in order.
        return this.expressions(light.children, next);
    }
  }

  /** Calls in evaluation order (arguments before the call); nested blocks as branches. */
  private expressions(nodes: readonly Light[], next: number): number {
    this.enter();
    const entry = this.expressionsFlow(nodes, next);
    this.depth--;
    return entry;
  }

  private expressionsFlow(nodes: readonly Light[], next: number): number {
    let entry = next;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const light = nodes[i] as Light;
      if (light.type === "call_expression") {
        const index = this.recordCall(light, this.fnIndex);
        if (index >= 0) entry = this.newNode(index, [entry]);
        entry = this.expressions(light.children, entry);
      } else if (STATEMENTS.has(light.type)) {
        // A GNU statement expression or a macro's block: may run, in place.
        entry =
          light.type === "compound_statement"
            ? this.newNode(-1, [this.statement(light, entry), entry])
            : this.statement(light, entry);
      } else {
        entry = this.expressions(light.children, entry);
      }
    }
    return entry;
  }

  private recordCall(light: Light, fn: number): number {
    const name = CALLEE.exec(this.source.slice(light.start, Math.min(light.end, light.start + 128)))?.[1];
    if (name === undefined) return -1;
    const entry = catalogEntry(name);
    const isDevm = DEVM_REGISTRARS.has(name);
    const { line, column } = this.position(light.start);
    const call: CallSite = {
      callee: name,
      line,
      column,
      startByte: light.start,
      endByte: light.end,
      fn,
      args: [],
    };
    if (entry !== undefined || isDevm) {
      const args =
        light.node
          .childForFieldName("arguments")
          ?.namedChildren.filter((child) => child.type !== "comment") ?? [];
      call.args = args.map((arg) => collapse(arg.text));
    }
    if (entry !== undefined) {
      call.role = entry.role;
      const statement = statementSpan(light.node);
      if (statement !== undefined) call.statement = statement;
    }
    if (LOOKUPS.has(name)) this.otherDevice(light.node);
    this.facts.calls.push(call);
    const index = this.facts.calls.length - 1;

    // `devm_add_action(dev, (void (*)(void *))pci_free_irq_vectors, pdev)`: the release is the
    // callback itself, so it is recorded as a release call at the registration.
    const callback = isDevm ? referencedName(call.args[1]) : undefined;
    if (callback !== undefined && catalogEntry(callback)?.role === "release") {
      this.facts.calls.push({
        ...call,
        callee: callback,
        role: "release",
        args: call.args.slice(2),
        devmAction: true,
      });
    }
    return index;
  }

  /** `x = pci_get_device(...)`, `priv->peer = pci_get_slot(...)`, `struct pci_dev *x = ...`. */
  private otherDevice(call: SyntaxNode): void {
    let parent = call.parent;
    while (
      parent !== null &&
      ["parenthesized_expression", "call_expression", "argument_list", "cast_expression"].includes(
        parent.type,
      )
    ) {
      parent = parent.parent;
    }
    if (parent === null) return;
    let target: SyntaxNode | null = null;
    if (parent.type === "assignment_expression") target = parent.childForFieldName("left");
    else if (parent.type === "init_declarator") target = parent.childForFieldName("declarator");
    if (target === null) return;
    if (target.type === "field_expression") {
      const field = target.childForFieldName("field")?.text;
      if (field !== undefined) this.otherDeviceFields.add(field);
      return;
    }
    const name = declaredName(target);
    if (name !== undefined && this.fnIndex >= 0) this.otherDeviceLocals.add(name);
  }
}

/**
 * The function name in a definition's header, for headers tree-sitter misreads (it takes
 * `static int __init foo(void)` for a declarator `(void)` of type `foo`): the identifier before
 * the last parameter list, skipping trailing attribute macros such as `__acquires(x)`.
 */
export function nameFromHeader(header: string): string | undefined {
  let text = stripComments(header).trimEnd();
  for (;;) {
    if (!text.endsWith(")")) return undefined;
    let depth = 0;
    let open = -1;
    for (let i = text.length - 1; i >= 0; i--) {
      if (text[i] === ")") depth++;
      else if (text[i] === "(" && --depth === 0) {
        open = i;
        break;
      }
    }
    if (open < 0) return undefined;
    const name = /([A-Za-z_]\w*)\s*$/.exec(text.slice(0, open))?.[1];
    if (name === undefined) return undefined;
    if (!name.startsWith("__")) return name;
    text = text.slice(0, open - name.length).trimEnd();
  }
}

/** Iterative: the light tree may be deeper than the stack. */
/**
 * Not in code `#if 0` removes. A declaration inside a function body counts too: that is where
 * tree-sitter puts file-scope code after a macro it misreads leaves a function open.
 */
function isLive(node: SyntaxNode): boolean {
  for (let child = node, parent = node.parent; parent !== null; child = parent, parent = parent.parent) {
    if (
      parent.type === "preproc_if" &&
      /^\(*\s*0\s*\)*$/.test(parent.childForFieldName("condition")?.text ?? "")
    ) {
      if (parent.childForFieldName("alternative")?.id !== child.id) return false;
    }
  }
  return true;
}

/** The index of the closing quote of the literal opening at `start`. */
function skipLiteral(source: string, start: number, end: number): number {
  const quote = source[start];
  for (let i = start + 1; i < end; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === quote || source[i] === "\n") return i;
  }
  return end;
}

function countType(nodes: readonly Light[], type: string): number {
  let count = 0;
  const stack = [...nodes];
  for (let light = stack.pop(); light !== undefined; light = stack.pop()) {
    if (light.type === type) count++;
    stack.push(...light.children);
  }
  return count;
}

/** The identifier a declarator declares, through pointers, arrays and parentheses. */
function declaredName(node: SyntaxNode | null): string | undefined {
  let current = node;
  while (current !== null) {
    if (current.type === "identifier" || current.type === "field_identifier") return current.text;
    current =
      current.childForFieldName("declarator") ??
      current.namedChildren.find(
        (child) => child.type.endsWith("declarator") || child.type === "identifier",
      ) ??
      null;
  }
  return undefined;
}

function functionDeclarator(node: SyntaxNode | null): SyntaxNode | null {
  let current = node;
  while (current !== null && current.type !== "function_declarator")
    current = current.childForFieldName("declarator");
  return current?.childForFieldName("declarator") ?? null;
}

function pciDriver(variable: string, list: SyntaxNode, line: number): PciDriverFacts {
  const driver: PciDriverFacts = { variable, line, pm: [], other: [] };
  const visit = (initializers: SyntaxNode, prefix: string): void => {
    for (const pair of initializers.namedChildren) {
      if (pair.type !== "initializer_pair") continue;
      const designators = pair
        .childrenForFieldName("designator")
        .map((designator) => designator.text.replace(/^\./, "").trim());
      const field = prefix + designators.join(".");
      const value = pair.childForFieldName("value");
      if (value === null) continue;
      if (value.type === "initializer_list") {
        visit(value, `${field}.`);
        continue;
      }
      const name = referencedName(value.text);
      if (field === "probe") driver.probe = name;
      else if (field === "remove") driver.remove = name;
      else if (field === "shutdown") driver.shutdown = name;
      else if (field === "name" || field === "driver.name") driver.name ??= value.text.replace(/^"|"$/g, "");
      else if (field === "driver.pm") driver.pm.push(...(value.text.match(IDENTIFIER) ?? []));
      else if (name !== undefined) driver.other.push(name);
    }
  };
  visit(list, "");
  return driver;
}

/**
 * What deleting a release takes: the statement it stands alone in (`pci_free_irq_vectors(pdev);`),
 * or the `if` that only guards it, with no else and a condition that can go with it
 * (`if (chip->msi_en) pci_free_irq_vectors(pci);`).
 */
function statementSpan(call: SyntaxNode): StatementSpan | undefined {
  const expression = call.parent;
  if (expression?.type !== "expression_statement") return undefined;
  let statement = expression;
  let body: SyntaxNode | null = expression;
  if (
    body.parent?.type === "compound_statement" &&
    body.parent.namedChildren.filter((child) => child.type !== "comment").length === 1
  )
    body = body.parent;
  const guard = body.parent;
  // `else\n\trelease;`: the else branch goes, its if stays.
  if (
    guard?.type === "else_clause" &&
    guard.namedChildren.filter((child) => child.type !== "comment").length === 1
  ) {
    const span = spanOf(guard);
    const keyword = guard.firstChild;
    span.ownLines &&=
      keyword !== null && (guard.previousSibling?.endPosition.row ?? -1) < keyword.startPosition.row;
    span.sole = false;
    span.guarded = true;
    return span;
  }
  if (
    guard?.type === "if_statement" &&
    guard.childForFieldName("consequence")?.id === body.id &&
    guard.childForFieldName("alternative") === null &&
    isPure(guard.childForFieldName("condition") ?? guard)
  )
    statement = guard;
  const span = spanOf(statement);
  if (statement !== expression) span.guarded = true;
  return span;
}

function spanOf(statement: SyntaxNode): StatementSpan {
  const container = statement.parent;
  const siblings = container?.namedChildren.filter((child) => child.type !== "comment") ?? [];
  // A label keeps something to label when a statement follows it in its block.
  let following = container?.type === "labeled_statement" ? container.nextNamedSibling : null;
  while (following?.type === "comment") following = following.nextNamedSibling;
  const sole =
    (container?.type === "labeled_statement" && following === null) ||
    container?.type === "if_statement" ||
    container?.type === "else_clause" ||
    siblings.length === 1;
  const previous = statement.previousSibling;
  const next = statement.nextSibling;
  const ownLines =
    (previous === null || previous.endPosition.row < statement.startPosition.row) &&
    (next === null || next.startPosition.row > statement.endPosition.row);
  const span: StatementSpan = {
    startByte: statement.startIndex,
    endByte: statement.endIndex,
    line: statement.startPosition.row + 1,
    endLine: statement.endPosition.row + 1,
    ownLines,
    sole,
  };
  if (siblings.length === 1 && container?.parent?.type === "function_definition") span.wholeBody = true;
  return span;
}

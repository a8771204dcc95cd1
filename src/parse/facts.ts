/**
 * FileFacts: everything the ownership model needs from one .c file, extracted from its
 * tree-sitter-c syntax tree. Plain data (JSON-serialisable) so it can be cached by content hash
 * and passed between worker threads.
 */
import type { Role } from "../catalog.js";

export interface CallSite {
  callee: string;
  /** 1-based line and column of the callee name. */
  line: number;
  column: number;
  /** Offsets (UTF-16 code units, as JavaScript strings count) of the whole call expression. */
  startByte: number;
  endByte: number;
  /** Index into FileFacts.functions of the function the call is in; -1 outside any function. */
  fn: number;
  /** Argument texts, whitespace collapsed; kept only for catalog calls and registrars. */
  args: string[];
  role?: Role;
  /** The call is a devm action callback (`devm_add_action(dev, pci_free_irq_vectors, pdev)`). */
  devmAction?: boolean;
  /** For catalog calls that are a statement of their own: where the statement is, for edits. */
  statement?: StatementSpan;
}

export interface StatementSpan {
  startByte: number;
  endByte: number;
  line: number;
  endLine: number;
  /** Nothing else shares the statement's lines. */
  ownLines: boolean;
  /**
   * Removing it would leave an empty block, an if with no body, or a label at the end of its
   * block (the first statement of a label that another statement follows is not sole).
   */
  sole: boolean;
  /** The statement is the whole body of its function: removing it leaves an empty function. */
  wholeBody?: boolean;
  /** The span is the `if` that only guards the call, which goes with it. */
  guarded?: boolean;
}

/**
 * Control flow of one function over its call sites: node 0 is the entry, node 1 the exit;
 * `call[n]` is the CallSite index a node stands for, -1 for a join point, or SUCCESS_RETURN
 * for a `return 0;`, a bare `return;` or the end of the body (the function succeeds there).
 */
export interface FunctionFlow {
  call: number[];
  succ: number[][];
}

export interface FunctionFacts {
  name: string;
  isStatic: boolean;
  line: number;
  endLine: number;
  /** Where the function's name stands in its definition: what a reader looks for. */
  nameLine: number;
  nameColumn: number;
  flow: FunctionFlow;
  /** Local variables assigned a reference to another PCI device (pci_get_device() and friends). */
  otherDeviceLocals: string[];
}

/** A `struct pci_driver` initialiser. */
export interface PciDriverFacts {
  variable: string;
  name?: string;
  line: number;
  probe?: string;
  remove?: string;
  shutdown?: string;
  /** Identifiers in the `.driver.pm` / `.driver = { .pm = ... }` expression. */
  pm: string[];
  /** Identifiers in `.err_handler` and other callback fields, for completeness of entry points. */
  other: string[];
}

/** A `struct dev_pm_ops` or one of the *_PM_OPS() macros: its name and the callbacks it names. */
export interface PmOpsFacts {
  name: string;
  callbacks: string[];
}

export interface FileFacts {
  path: string;
  functions: FunctionFacts[];
  calls: CallSite[];
  drivers: PciDriverFacts[];
  pmOps: PmOpsFacts[];
  /** Names handed to module_pci_driver(), pci_register_driver(&...) and friends. */
  registeredDrivers: string[];
  /** Struct fields assigned a reference to another PCI device. */
  otherDeviceFields: string[];
  /**
   * How often each name stands as a value rather than called (`.reset = foo`,
   * `INIT_WORK(&w, foo)`, `EXPORT_SYMBOL(foo)`): a function named so can run from places the
   * call graph does not show. Names under `PTR_IF(false, ...)` are not counted.
   */
  valueRefs: Record<string, number>;
  /** Names that stand only where a constant removes them (`PTR_IF(false, foo)`). */
  deadRefs: string[];
  /** Number of ERROR or MISSING nodes tree-sitter produced (kernel macros). */
  parseErrors: number;
}

export const EXIT_NODE = 1;
export const ENTRY_NODE = 0;
/** FunctionFlow.call of a node where the function returns success. */
export const SUCCESS_RETURN = -2;

/**
 * The JSON report (`msi-ownership/report@1`, DESIGN.md "Contracts"): what every face of the
 * tool produces and consumes. Field names and meanings are a contract with users.
 */
import type { Role } from "../catalog.js";

export const REPORT_SCHEMA = "msi-ownership/report@1";

/** Statuses from most to least in need of work (KERNEL.md, "What a driver can be"). */
export const STATUSES = [
  "leaks-at-detach",
  "double-release",
  "converted-double-release",
  "implicit-managed",
  "unmanaged",
  "converted",
  "no-msi",
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses a fork still has to act on before the hybrid behaviour is removed upstream. */
export const NEEDS_CONVERSION: readonly Status[] = [
  "leaks-at-detach",
  "double-release",
  "converted-double-release",
  "implicit-managed",
];

/**
 * The tree's PCI/MSI era (src/era/): 1 hybrid (the allocators register a devres release on a
 * managed device), 2 transition (that, and pcim_alloc_irq_vectors() exists), 3 hybrid removed.
 */
export type Era = 1 | 2 | 3;

/** What decided the era: the PCI/MSI core's code, or pci.h's declarations when the core is absent. */
export interface EraDecision {
  era: Era;
  source: "msi-core" | "declarations";
  /** The line that decided it (the devres registration, or the allocator that no longer reaches one). */
  file?: string;
  line?: number;
  reason: string;
}

export type Severity = "error" | "warning" | "note";

/** What an evidence step shows: a catalog call, or the entry point / call that reaches it. */
export type EvidenceRole = Role | "entry" | "call";

/**
 * How a release is reached, and what that makes it (KERNEL.md, "When a release is not a
 * teardown"). Only the first three are teardowns, after which devres releases again.
 */
export const PATH_KINDS = [
  /** The driver's `.remove`. */
  "remove",
  /** A probe error path after the allocation: probe fails, devres releases. */
  "probe-error",
  /** A devm action registered from probe: it runs at detach. */
  "devm-action",
  /** An allocation or INTx setup (`pdev->irq`) follows on the same path. */
  "re-allocation",
  /** Probe goes on to succeed after the release. */
  "probe-continues",
  /** A probe path on which nothing was allocated yet. */
  "nothing-allocated",
  /** `.shutdown`: devres does not run at shutdown. */
  "shutdown",
  /** A PM callback: suspend, freeze, and the like. */
  "suspend",
  /** Reached through a pointer: an ops table, a work item, a timer, a reset handler. */
  "runtime",
  /** Called from outside the module, or too deep to follow. */
  "unknown",
] as const;
export type PathKind = (typeof PATH_KINDS)[number];
export const TEARDOWN_PATHS: ReadonlySet<PathKind> = new Set(["remove", "probe-error", "devm-action"]);

export interface Evidence {
  file: string;
  line: number;
  column: number;
  role: EvidenceRole;
  /** The function the step is in. */
  function: string;
  /** Short text: the call (`pci_free_irq_vectors(pdev)`) or how it is reached. */
  text: string;
  /** On an `entry` step: the kind of path it starts (a teardown, or why the release is needed there). */
  path?: PathKind;
}

/** A text replacement, 1-based lines and columns, end exclusive. */
export interface Edit {
  file: string;
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
  replacement: string;
}

export interface Fix {
  description: string;
  /** Empty when the fix is not mechanical: the description says what to do. */
  edits: Edit[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  file: string;
  line: number;
  column: number;
  message: string;
  /** enable → allocate → release, each with file:line and function. */
  evidence: Evidence[];
  fingerprint: string;
  fix: Fix;
  /** PR mode: the finding is absent at the base revision. */
  new?: boolean;
}

export interface DriverReport {
  /** The module's directory and name (`drivers/net/ethernet/intel/ice`). */
  unit: string;
  module: string;
  /** The `struct pci_driver` variable, when the module has several or the entry is per driver. */
  driver?: string;
  files: string[];
  status: Status;
  findings: Finding[];
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: string; version: string };
  tree: {
    root: string;
    kernelVersion: string | null;
    pcimAllocIrqVectors: boolean;
    /** Absent in reports written before the era was read. */
    era?: Era;
    eraDecidedBy?: Omit<EraDecision, "era">;
  };
  drivers: DriverReport[];
  summary: Record<Status, number>;
  stats: {
    filesScanned: number;
    filesParsed: number;
    durationMs: number;
    cacheHits?: number;
    /** Findings dropped because their fingerprint is in the baseline. */
    baselined?: number;
  };
  /** Files skipped (unreadable, unparsable) with the reason, one line each. */
  warnings?: string[];
}

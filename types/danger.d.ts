/**
 * Types of `msi-ownership/danger` (the bundle dist/danger.js). Kept by hand; test/danger.test.ts
 * checks at typecheck time that src/danger/index.ts still matches them.
 */

export interface MsiOwnershipOptions {
  /** The action's JSON report (its `report` output); absent: analyse the PR's modules here. */
  report?: string;
  /** A full audit report (`msi-ownership audit --format json`) for the tree-wide count. */
  fullReport?: string;
  /** Which findings fail the Danger run, as the action's `fail-on`; default `new`. */
  failOn?: "new" | "error" | "any" | "never";
  /** Place findings inline on the diff; default true. */
  inline?: boolean;
  /** Add a GitHub suggestion block where the fix is mechanical; default true. */
  suggestions?: boolean;
  /** The kernel checkout the analysis reads when no report is given; default the current directory. */
  root?: string;
}

export interface Violation {
  kind: "fail" | "warn";
  message: string;
  /** Present when Danger places the violation inline. */
  file?: string;
  line?: number;
}

export interface ReviewPlan {
  violations: Violation[];
  /** The summary posted with `markdown`, or undefined when there was nothing to say. */
  markdown: string | undefined;
}

/** Posts the review through Danger's globals; returns what it posted. */
export function msiOwnership(options?: MsiOwnershipOptions): Promise<ReviewPlan>;

/** The options the ready-made dangerfile reads from MSI_OWNERSHIP_* environment variables. */
export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): MsiOwnershipOptions;

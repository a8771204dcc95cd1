/**
 * A rule: the metadata users read (`msi-ownership explain RULE`, the README table, SARIF rule
 * descriptors) beside the message and the fix, in one place.
 */
import type { Severity, Status } from "../report/types.js";

export interface Rule {
  /** Stable id, used in reports, baselines and `explain`. */
  id: string;
  severity: Severity;
  /** The driver status that produces this finding. */
  status: Status;
  /** One line. */
  title: string;
  /** Why it matters, in a paragraph. */
  rationale: string;
  /** A minimal example of code that triggers it. */
  example: string;
  /** The fix, in words. */
  fix: string;
}

/** What every subcommand shares: exit statuses, the fail-on policy, usage errors. */
import type { Finding } from "../report/types.js";

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export const FAIL_ON = ["new", "error", "any", "never"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Bad usage or input: printed as one line on stderr, exit status 2. */
export class UsageError extends Error {}

export function parseFailOn(value: string, input = "--fail-on"): FailOn {
  if ((FAIL_ON as readonly string[]).includes(value)) return value as FailOn;
  throw new UsageError(`${input}: unknown value '${value}' (allowed: ${FAIL_ON.join(", ")})`);
}

/**
 * Whether findings block under a policy: `new` blocks on any finding the change introduces
 * (outside PR mode every finding counts as new), `error` on any error, `any` on any finding.
 */
export function isBlocking(findings: readonly Finding[], failOn: FailOn): boolean {
  switch (failOn) {
    case "never":
      return false;
    case "any":
      return findings.length > 0;
    case "error":
      return findings.some((finding) => finding.severity === "error");
    case "new":
      return findings.some((finding) => finding.new !== false);
  }
}

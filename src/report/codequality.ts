/**
 * GitLab's Code Quality report (`artifacts: reports: codequality`): one entry per finding, so the
 * findings show in the merge request's widget and on its diff. The fields are those GitLab
 * documents; the fingerprint is SARIF's partialFingerprints value, so an alert and an entry of
 * the same finding are one identity. Paths are relative to the root, as the report's are.
 */
import type { Report, Severity } from "./types.js";

/** One entry of GitLab's Code Quality report. */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: "info" | "minor" | "major" | "critical" | "blocker";
  location: { path: string; lines: { begin: number } };
}

/**
 * Errors are `major`: they fail the check and must be fixed, but no finding here breaks a build
 * or a running system today (the second release is a no-op), which `critical`/`blocker` would say.
 */
const SEVERITY: Record<Severity, CodeQualityIssue["severity"]> = {
  error: "major",
  warning: "minor",
  note: "info",
};

export function toCodeQuality(report: Report): CodeQualityIssue[] {
  return report.drivers.flatMap((driver) =>
    driver.findings.map((finding) => ({
      description: finding.message,
      check_name: finding.ruleId,
      fingerprint: finding.fingerprint,
      severity: SEVERITY[finding.severity],
      location: { path: finding.file, lines: { begin: finding.line } },
    })),
  );
}

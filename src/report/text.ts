/** `path:line:col: severity: message [rule]`, the form editors and `make` users jump to. */
import type { Finding, Report } from "./types.js";

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.severity}: ${finding.message} [${finding.ruleId}]`;
}

export function formatText(report: Report): string {
  const lines = report.drivers.flatMap((driver) => driver.findings.map(formatFinding));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** `path:line:col: severity: message [rule]`, the form editors and `make` users jump to. */
import type { Finding, Report } from "./types.js";

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.severity}: ${finding.message} [${finding.ruleId}]`;
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The findings, one a line, then a count line as compilers end theirs. */
export function formatText(report: Report): string {
  const findings = report.drivers.flatMap((driver) => driver.findings);
  const lines = findings.map(formatFinding);
  const errors = findings.filter((finding) => finding.severity === "error").length;
  const warnings = findings.filter((finding) => finding.severity === "warning").length;
  const notes = findings.length - errors - warnings;
  const drivers = new Set(
    report.drivers
      .filter((driver) => driver.findings.length > 0)
      .map((driver) => `${driver.unit}\0${driver.module}`),
  ).size;
  const tally = `${count(errors, "error")} and ${count(warnings, "warning")}${notes > 0 ? ` and ${count(notes, "note")}` : ""}`;
  lines.push(
    findings.length === 0
      ? `no findings in ${count(report.drivers.length, "driver")}`
      : `${tally} in ${count(drivers, "driver")}`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * The job summary and check-run text of a pull request: every finding of the change, new ones
 * first, each linked to its line at the head commit, with its evidence. Pure.
 */
import { evidenceLines, markdownStyle } from "../report/evidence.js";
import type { FailOn } from "../commands/shared.js";
import { findingsOf } from "../diff/check.js";
import { eraParagraph } from "../era/meaning.js";
import { NEEDS_CONVERSION, type Finding, type Report } from "../report/types.js";

export interface RepositoryLink {
  serverUrl: string;
  owner: string;
  repo: string;
  /** The commit the lines are read at. */
  sha: string;
}

export interface PrSummaryInput {
  report: Report;
  /** Base findings the change removed. */
  resolved: readonly Finding[];
  /** How many files the change touches, when known. */
  changedFiles: number | undefined;
  baseCommit: string | undefined;
  link: RepositoryLink;
  failOn: FailOn;
  blocking: boolean;
  /** Where the annotations went, when that is worth telling (the fallback). */
  notes: readonly string[];
  /** The change moves the tree to another era (CheckResult.eraChange). */
  eraChange?: string | undefined;
}

/** Text from a report (which may come from an untrusted artifact) made inert in Markdown. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#!]/g, (c) => `\\${c}`).replace(/[\r\n\u2028\u2029]+/g, " ");
}

/** A code span: backticks inside cannot be escaped, so they are dropped. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/[\r\n\u2028\u2029]+/g, " ")}\``;
}

export function lineUrl(link: RepositoryLink, path: string, line: number): string {
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return `${link.serverUrl}/${link.owner}/${link.repo}/blob/${link.sha}/${encoded}#L${line}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function findingBlock(finding: Finding, link: RepositoryLink): string[] {
  const where = `${finding.file}:${finding.line}`;
  const lines = [
    `- **${finding.severity}** ${code(finding.ruleId)} [${escapeMarkdown(where)}](${lineUrl(link, finding.file, finding.line)}): ${escapeMarkdown(finding.message)}`,
  ];
  const style = markdownStyle((file, line) => lineUrl(link, file, line));
  for (const line of evidenceLines(finding, style)) lines.push(`  - ${line}`);
  if (finding.fix.description !== "") lines.push(`  - Fix: ${escapeMarkdown(finding.fix.description)}`);
  return lines;
}

export function prSummaryMarkdown(input: PrSummaryInput): string {
  const { report, link } = input;
  const findings = findingsOf(report);
  const fresh = findings.filter((finding) => finding.new !== false);
  const old = findings.filter((finding) => finding.new === false);
  const era = eraParagraph(report.tree);
  const counts = [
    ...(input.changedFiles === undefined ? [] : [`changed files: ${input.changedFiles}`]),
    input.eraChange === undefined
      ? `modules analysed (touched by the change and using the MSI API): ${report.drivers.length}`
      : `modules analysed (every module using the MSI API, since the era changed): ${report.drivers.length}`,
    `findings in them: ${findings.length}, new: ${fresh.length}` +
      (input.resolved.length > 0 ? `, resolved by the change: ${input.resolved.length}` : ""),
    ...(input.baseCommit === undefined
      ? []
      : [`compared with the base \`${input.baseCommit.slice(0, 12)}\``]),
  ];
  const out: string[] = [
    `## msi-ownership: ${plural(fresh.length, "new finding")}`,
    "",
    `The change ${input.blocking ? "**fails**" : "passes"} the check (fail-on: ${input.failOn}).`,
    "",
    ...counts.map((line) => `- ${line}`),
    "",
  ];
  if (input.eraChange !== undefined) out.push(`> [!IMPORTANT]`, `> ${escapeMarkdown(input.eraChange)}`, "");
  else if (era !== undefined) out.push(escapeMarkdown(era), "");
  for (const note of input.notes) out.push(`> [!NOTE]`, `> ${note}`, "");
  if (report.drivers.length > 0) {
    out.push("| Module | Status | Findings | New |", "| --- | --- | --- | --- |");
    for (const driver of report.drivers) {
      const status = NEEDS_CONVERSION.includes(driver.status) ? `**${driver.status}**` : driver.status;
      const name = driver.driver === undefined ? driver.unit : `${driver.unit} (${driver.driver})`;
      const newCount = driver.findings.filter((finding) => finding.new !== false).length;
      out.push(`| ${escapeMarkdown(name)} | ${status} | ${driver.findings.length} | ${newCount} |`);
    }
    out.push("");
  }
  if (fresh.length > 0) out.push("### New findings", "", ...fresh.flatMap((f) => findingBlock(f, link)), "");
  if (old.length > 0)
    out.push("### Already at the base", "", ...old.flatMap((f) => findingBlock(f, link)), "");
  if (input.resolved.length > 0) {
    out.push("### Resolved by this change", "");
    for (const finding of input.resolved) {
      out.push(
        `- ${code(finding.ruleId)} ${escapeMarkdown(`${finding.file}:${finding.line}`)}: ${escapeMarkdown(finding.message)}`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}

/** The Checks API caps `output.summary` at 65535 characters. */
export function truncateForCheckRun(markdown: string, limit = 65535): string {
  if (markdown.length <= limit) return markdown;
  const tail = "\n\n… (truncated: the job summary has every finding)";
  return markdown.slice(0, limit - tail.length) + tail;
}

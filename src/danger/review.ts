/**
 * What the Danger plugin posts, as a pure function of a report and the PR's diff: one violation
 * per finding (inline when its line is in the diff, in Danger's main comment otherwise) and one
 * markdown summary of the touched drivers that still need conversion. No Danger globals here.
 */
import { evidenceLines, markdownStyle } from "../report/evidence.js";
import { summarize } from "../report/summary.js";
import { isBlocking, type FailOn } from "../commands/shared.js";
import {
  NEEDS_CONVERSION,
  type DriverReport,
  type Edit,
  type Finding,
  type Report,
  type Status,
} from "../report/types.js";

/** A line of a file as the PR diff shows it at the head: added or context. */
export type DiffLines = ReadonlyMap<string, ReadonlyMap<number, string>>;

/** The change types of a parsed unified diff (parse-diff, which Danger's structured diff uses). */
export interface DiffChange {
  type: "add" | "del" | "normal";
  content: string;
  ln?: number;
  ln2?: number;
}

export interface DiffChunk {
  changes: readonly DiffChange[];
}

/**
 * The head-side lines a diff shows (added lines and context), by line number, without the
 * leading `+`/` `. GitHub accepts review comments on exactly these lines; a comment on any
 * other line makes it reject the whole review.
 */
export function headLinesOfDiff(chunks: readonly DiffChunk[]): Map<number, string> {
  const lines = new Map<number, string>();
  for (const chunk of chunks) {
    for (const change of chunk.changes) {
      // parse-diff repeats the previous line's numbers for "\ No newline at end of file".
      if (change.content.startsWith("\\")) continue;
      const line = change.type === "add" ? change.ln : change.type === "normal" ? change.ln2 : undefined;
      if (line !== undefined) lines.set(line, change.content.slice(1));
    }
  }
  return lines;
}

/** Builds a link to a line of a file at the PR's head commit; undefined off GitHub. */
export type LineLink = (file: string, line: number) => string | undefined;

/**
 * Where Danger posts: GitHub or GitLab. They differ in the links to a line, the suggestion
 * fence (GitLab names the lines it replaces), and how long a comment may be.
 */
export interface Platform {
  name: "GitHub" | "GitLab";
  /** The opening of a suggestion block that replaces the commented line. */
  suggestionFence: string;
  /** The most characters a comment may hold there. */
  commentLimit: number;
}

export const GITHUB: Platform = { name: "GitHub", suggestionFence: "suggestion", commentLimit: 65_536 };
/** GitLab: `suggestion:-0+0` replaces the commented line only; notes hold up to 1,000,000 characters. */
export const GITLAB: Platform = {
  name: "GitLab",
  suggestionFence: "suggestion:-0+0",
  commentLimit: 1_000_000,
};

/** A line at a commit in a GitLab project: `https://gitlab.example/group/linux/-/blob/SHA/PATH#L12`. */
export function gitlabLineLink(projectUrl: string, commit: string): LineLink {
  const base = projectUrl.replace(/\/+$/, "");
  return (file, line) =>
    `${base}/-/blob/${commit}/${file.split("/").map(encodeURIComponent).join("/")}#L${line}`;
}

export function githubLineLink(repositoryUrl: string, commit: string): LineLink {
  const base = repositoryUrl.replace(/\/+$/, "");
  return (file, line) =>
    `${base}/blob/${commit}/${file.split("/").map(encodeURIComponent).join("/")}#L${line}`;
}

export interface ReviewOptions {
  failOn: FailOn;
  inline: boolean;
  suggestions: boolean;
}

export interface ReviewInput {
  /** The analysis of (at least) the modules the PR touches, findings marked `new` in PR mode. */
  report: Report;
  /** Every path the PR adds, modifies or removes. */
  changedFiles: ReadonlySet<string>;
  diffLines: DiffLines;
  link: LineLink;
  /** Drivers per status over the whole tree, when a full audit is known. */
  treeWide?: Readonly<Record<Status, number>> | undefined;
  options: ReviewOptions;
  /** The change moves the tree to another era (CheckResult.eraChange): every driver is concerned. */
  eraChange?: string | undefined;
  /** Where the review is posted; default GitHub. */
  platform?: Platform;
}

export interface Violation {
  kind: "fail" | "warn";
  message: string;
  /** Present when Danger should place the violation inline. */
  file?: string;
  line?: number;
}

export interface ReviewPlan {
  violations: Violation[];
  /** The summary, or undefined when the PR touches nothing that needs saying. */
  markdown: string | undefined;
}

const STATUS_MEANING: Readonly<Record<Status, string>> = {
  "leaks-at-detach":
    "managed device, hybrid allocation, no explicit release, in a tree whose PCI/MSI core no longer releases it: the vectors leak at detach",
  "double-release":
    "managed device, hybrid allocation and an explicit release on a teardown path, redundant with the release devres makes at detach",
  "converted-double-release":
    "`pcim_alloc_irq_vectors()` and an explicit release, redundant with devres' own",
  "implicit-managed":
    "managed device, hybrid allocation, no explicit release: relies on the hidden devres cleanup that upstream removes",
  unmanaged: "the device is enabled with `pci_enable_device*()`",
  converted: "`pcim_alloc_irq_vectors()`, no explicit release",
  "no-msi": "no MSI/MSI-X allocation",
};

/** The drivers a change touches: those with a file among the changed paths. */
export function touchedDrivers(report: Report, changedFiles: ReadonlySet<string>): DriverReport[] {
  return report.drivers.filter((driver) => driver.files.some((file) => changedFiles.has(file)));
}

/**
 * Whether a report covers the whole tree (an audit) rather than the modules of one change: PR
 * mode marks every finding `new: true|false`, an audit marks none. A report without findings
 * says nothing either way, so it is not taken as a full audit.
 */
export function isFullAudit(report: Report): boolean {
  const findings = report.drivers.flatMap((driver) => driver.findings);
  return findings.length > 0 && findings.every((finding) => finding.new === undefined);
}

/** Drivers per status in a report. */
export function countByStatus(report: Report): Record<Status, number> {
  return summarize(report.drivers);
}

/** The longest run of backticks in a text plus one, at least three: a fence the text cannot close. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

/**
 * The text that replaces line `line` when the fix's edits are applied, or undefined when the
 * edits reach beyond that line (a suggestion replaces exactly the commented line). An edit that
 * removes the line with its newline gives the empty string: an empty suggestion deletes it.
 */
export function suggestedLine(
  edits: readonly Edit[],
  file: string,
  line: number,
  text: string,
): string | undefined {
  if (edits.length === 0) return undefined;
  const region = `${text}\n`;
  const spans: { start: number; end: number; replacement: string }[] = [];
  for (const edit of edits) {
    if (edit.file !== file || edit.startLine !== line) return undefined;
    const start = edit.startColumn - 1;
    let end: number;
    if (edit.endLine === line) end = edit.endColumn - 1;
    else if (edit.endLine === line + 1 && edit.endColumn === 1) end = region.length;
    else return undefined;
    if (start < 0 || start > text.length || end < start || end > region.length) return undefined;
    spans.push({ start, end, replacement: edit.replacement });
  }
  spans.sort((a, b) => b.start - a.start);
  let result = region;
  let limit = region.length;
  for (const span of spans) {
    if (span.end > limit) return undefined; // overlapping edits: not mechanical after all
    result = result.slice(0, span.start) + span.replacement + result.slice(span.end);
    limit = span.start;
  }
  if (result === "") return "";
  // An edit that joined the line with the next one cannot be shown on this line alone.
  if (!result.endsWith("\n")) return undefined;
  return result.slice(0, -1);
}

export function suggestionBlock(replacement: string, platform: Platform = GITHUB): string {
  const fence = fenceFor(replacement);
  const open = `${fence}${platform.suggestionFence}`;
  return replacement === "" ? `${open}\n${fence}` : `${open}\n${replacement}\n${fence}`;
}

/**
 * Text from the checkout (file names, code) kept on one line and inside its code span: a name
 * with a line break or a backtick would otherwise end the span and render as Markdown.
 */
function inert(text: string): string {
  return text.replace(/`/g, "'").replace(/[\r\n\u2028\u2029]+/g, " ");
}

function location(file: string, line: number, link: LineLink): string {
  const url = link(file, line);
  const label = `\`${inert(file)}:${line}\``;
  return url === undefined ? label : `[${label}](${url})`;
}

/** The text of one finding: rule, message, the evidence chain, and the fix. */
function findingMessage(
  finding: Finding,
  link: LineLink,
  suggestion: string | undefined,
  positioned: boolean,
  platform: Platform = GITHUB,
): string {
  const head = positioned
    ? `**${finding.ruleId}**: ${finding.message}`
    : `${location(finding.file, finding.line, link)} **${finding.ruleId}**: ${finding.message}`;
  const parts = [head];
  if (finding.evidence.length > 0) {
    parts.push(
      evidenceLines(finding, markdownStyle(link))
        .map((line) => `  - ${line}`)
        .join("\n"),
    );
  }
  if (suggestion !== undefined) {
    parts.push(`${finding.fix.description}\n\n${suggestionBlock(suggestion, platform)}`);
  } else if (finding.fix.description !== "") {
    parts.push(`Fix: ${finding.fix.description}`);
  }
  parts.push(`Details: \`npx msi-ownership explain ${finding.ruleId}\``);
  return parts.join("\n\n");
}

/** The findings to post: those the change introduced, or every finding of the touched drivers under `any`. */
function findingsToPost(drivers: readonly DriverReport[], failOn: FailOn): Finding[] {
  const findings = drivers.flatMap((driver) => driver.findings);
  const chosen = failOn === "any" ? findings : findings.filter((finding) => finding.new !== false);
  return [...chosen].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}

function violationFor(finding: Finding, input: ReviewInput): Violation {
  const { options, diffLines, link } = input;
  const kind = isBlocking([finding], options.failOn) ? "fail" : "warn";
  const lineText = diffLines.get(finding.file)?.get(finding.line);
  if (!options.inline || lineText === undefined) {
    return { kind, message: findingMessage(finding, link, undefined, false) };
  }
  const suggestion = options.suggestions
    ? suggestedLine(finding.fix.edits, finding.file, finding.line, lineText)
    : undefined;
  return {
    kind,
    message: findingMessage(finding, link, suggestion, true, input.platform),
    file: finding.file,
    line: finding.line,
  };
}

/** Evidence lines of a driver's findings, each once, in the order found. */
function driverEvidence(driver: DriverReport, link: LineLink): string[] {
  const lines = driver.findings.flatMap((finding) => evidenceLines(finding, markdownStyle(link)));
  return [...new Set(lines)];
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function treeWideLine(counts: Readonly<Record<Status, number>>): string {
  // A report from before a status existed has no count for it.
  const count = (status: Status): number => counts[status] ?? 0;
  const total = NEEDS_CONVERSION.reduce((sum, status) => sum + count(status), 0);
  const detail = NEEDS_CONVERSION.map((status) => `${status}: ${count(status)}`).join(", ");
  return `Tree-wide, ${plural(total, "driver")} still need${total === 1 ? "s" : ""} conversion (${detail}).`;
}

export function summaryMarkdown(
  drivers: readonly DriverReport[],
  link: LineLink,
  treeWide: Readonly<Record<Status, number>> | undefined,
): string | undefined {
  const pending = drivers.filter((driver) => NEEDS_CONVERSION.includes(driver.status));
  if (pending.length === 0) return undefined;
  const lines = [
    "### MSI/MSI-X vector ownership",
    "",
    `This change touches ${plural(pending.length, "driver")} that still need${pending.length === 1 ? "s" : ""} ` +
      "conversion before upstream removes the hybrid devres behaviour of `pci_alloc_irq_vectors()`:",
  ];
  for (const status of NEEDS_CONVERSION) {
    const group = pending.filter((driver) => driver.status === status);
    if (group.length === 0) continue;
    lines.push("", `#### ${status} (${group.length})`, "", `_${STATUS_MEANING[status]}._`, "");
    for (const driver of group) {
      const name = driver.driver === undefined ? driver.module : `${driver.module}, ${driver.driver}`;
      lines.push(`- **${inert(driver.unit)}** (\`${inert(name)}\`)`);
      for (const line of driverEvidence(driver, link)) lines.push(`  - ${line}`);
    }
  }
  if (treeWide !== undefined) lines.push("", treeWideLine(treeWide));
  return lines.join("\n");
}

/**
 * What Danger's main comment may hold of ours: GitHub refuses a comment over 65,536 characters
 * (and Danger then posts nothing), and Danger adds its tables, a row around each violation, and
 * its signature. Inline violations are comments of their own and do not count.
 */
export const MAIN_COMMENT_BUDGET = 60_000;
/** What Danger's own tables and signature leave of a platform's comment limit for ours. */
const DANGER_OVERHEAD = GITHUB.commentLimit - MAIN_COMMENT_BUDGET;
const TABLE_ROW = 100;

/**
 * The violations that fit in the main comment beside the summary, in order; the rest are
 * counted in one last violation, a failure when any of them is.
 */
export function withinMainComment(
  violations: readonly Violation[],
  markdown: string | undefined,
  platform: Platform = GITHUB,
): Violation[] {
  const budget = platform.commentLimit - DANGER_OVERHEAD;
  let used = markdown?.length ?? 0;
  const kept: Violation[] = [];
  const left: Violation[] = [];
  for (const violation of violations) {
    const cost = violation.file === undefined ? violation.message.length + TABLE_ROW : 0;
    if (left.length === 0 && used + cost <= budget - 2 * TABLE_ROW) {
      used += cost;
      kept.push(violation);
    } else if (cost === 0) kept.push(violation);
    else left.push(violation);
  }
  if (left.length === 0) return kept;
  return [
    ...kept,
    {
      kind: left.some((violation) => violation.kind === "fail") ? "fail" : "warn",
      message:
        `${plural(left.length, "more finding")} outside the diff ${left.length === 1 ? "is" : "are"} not listed: ` +
        `${platform.name} takes at most ${platform.commentLimit.toLocaleString("en-US")} characters in a comment. The report has every one (\`npx msi-ownership check\`).`,
    },
  ];
}

export function planReview(input: ReviewInput): ReviewPlan {
  const drivers =
    input.eraChange === undefined ? touchedDrivers(input.report, input.changedFiles) : input.report.drivers;
  const violations = findingsToPost(drivers, input.options.failOn).map((finding) =>
    violationFor(finding, input),
  );
  const summary = summaryMarkdown(drivers, input.link, input.treeWide);
  // A change that moves the era concerns every driver: the summary opens with what that means.
  const note =
    input.eraChange === undefined
      ? undefined
      : `> [!IMPORTANT]\n> ${inert(input.eraChange).replace(/[\\*_[\]<>|#!]/g, (c) => `\\${c}`)}`;
  const markdown = note === undefined ? summary : summary === undefined ? note : `${note}\n\n${summary}`;
  return { violations: withinMainComment(violations, markdown, input.platform), markdown };
}

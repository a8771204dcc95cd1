/**
 * The conversion summary a fork's maintainers read: counts per status (a table and a Mermaid
 * pie that GitHub renders), the drivers still needing conversion grouped by the MAINTAINERS
 * section that covers them, with its maintainers and lists, each linked to its evidence, and,
 * given an earlier report, what was converted and what appeared since. Pure.
 */
import { evidenceLines, markdownStyle } from "./evidence.js";
import type { Maintainers, MaintainersSection } from "./maintainers.js";
import { eraParagraph } from "../era/meaning.js";
import { subsystemOf } from "./maintainers.js";
import { NEEDS_CONVERSION, STATUSES, type DriverReport, type Report, type Status } from "./types.js";

export const SNAPSHOT_SCHEMA = "msi-ownership/snapshot@1";

/**
 * What a later run needs from an earlier one to tell the trend: the counts and which drivers
 * needed conversion. Small enough to keep in a tracking issue's body.
 */
export interface ReportSnapshot {
  schema: typeof SNAPSHOT_SCHEMA;
  summary: Record<Status, number>;
  /** driverKey() of each driver that needed conversion, with its status. */
  needsConversion: Record<string, Status>;
  /** Set when needsConversion was left empty to save space: the trend then has counts only. */
  driversOmitted?: boolean;
  kernelVersion?: string | null;
}

export interface MarkdownOptions {
  /** An earlier report (or its snapshot): adds what was converted and what appeared since. */
  previous?: Report | ReportSnapshot;
  /** The tree's MAINTAINERS: drivers are grouped by section; without it, by directory. */
  maintainers?: Maintainers;
  /** Links evidence to lines: `https://github.com/OWNER/REPO/blob/SHA` (no trailing slash). */
  linkBase?: string;
  /** The heading; default "MSI vector ownership". */
  title?: string;
  /** Per-subsystem driver tables (default true); off keeps the body short, e.g. in an issue. */
  details?: boolean;
}

const WHAT_TO_DO: Record<Status, string> = {
  "leaks-at-detach":
    "allocate with `pcim_alloc_irq_vectors()`, or release the vectors in remove() and on probe error paths",
  "double-release": "drop the explicit release; allocate with `pcim_alloc_irq_vectors()`",
  "converted-double-release": "drop the explicit release",
  "implicit-managed": "allocate with `pcim_alloc_irq_vectors()`",
  unmanaged: "nothing",
  converted: "nothing",
  "no-msi": "nothing",
};

/** A driver's identity across runs: its unit and its `struct pci_driver` (or module). */
export function driverKey(driver: Pick<DriverReport, "unit" | "module" | "driver">): string {
  return `${driver.unit}:${driver.driver ?? driver.module}`;
}

export function needsConversion(driver: DriverReport): boolean {
  return NEEDS_CONVERSION.includes(driver.status);
}

export function snapshotOf(report: Report): ReportSnapshot {
  const needs: Record<string, Status> = {};
  for (const driver of report.drivers) if (needsConversion(driver)) needs[driverKey(driver)] = driver.status;
  return {
    schema: SNAPSHOT_SCHEMA,
    summary: { ...report.summary },
    needsConversion: needs,
    kernelVersion: report.tree.kernelVersion,
  };
}

function asSnapshot(previous: Report | ReportSnapshot): ReportSnapshot {
  return previous.schema === SNAPSHOT_SCHEMA ? previous : snapshotOf(previous);
}

export function needsConversionCount(summary: Record<Status, number>): number {
  return NEEDS_CONVERSION.reduce((total, status) => total + (summary[status] ?? 0), 0);
}

/** Text from a report (paths, names, messages) made inert in Markdown and table cells. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#!~]/g, (c) => `\\${c}`).replace(/[\r\n\u2028\u2029]+/g, " ");
}

function code(text: string): string {
  // Table cells split on `|` even inside code spans; a line break (a file name may hold one)
  // would end the table row and let the rest of the name render as Markdown.
  return `\`${text
    .replace(/`/g, "'")
    .replace(/\|/g, "\\|")
    .replace(/[\r\n\u2028\u2029]+/g, " ")}\``;
}

export function lineLink(linkBase: string | undefined, file: string, line: number, label: string): string {
  if (linkBase === undefined) return code(label);
  const encoded = file.split("/").map(encodeURIComponent).join("/");
  return `[${escapeMarkdown(label)}](${linkBase}/${encoded}#L${line})`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function countsTable(summary: Record<Status, number>): string[] {
  const rows = STATUSES.map(
    (status) =>
      `| ${NEEDS_CONVERSION.includes(status) ? `**${status}**` : status} | ${summary[status] ?? 0} | ${WHAT_TO_DO[status]} |`,
  );
  const total = STATUSES.reduce((sum, status) => sum + (summary[status] ?? 0), 0);
  return ["| status | drivers | to do |", "| --- | ---: | --- |", ...rows, `| total | ${total} | |`];
}

function pieChart(summary: Record<Status, number>): string[] {
  const slices = STATUSES.filter((status) => (summary[status] ?? 0) > 0);
  if (slices.length === 0) return [];
  return [
    "```mermaid",
    "pie showData title Drivers by MSI ownership status",
    ...slices.map((status) => `    "${status}" : ${summary[status]}`),
    "```",
  ];
}

/** The lines that make a driver's findings true; a later finding adds only the lines the earlier ones did not (the shared enable and allocation). */
function driverEvidence(driver: DriverReport, linkBase: string | undefined): string {
  if (driver.findings.length === 0) return "";
  const style = markdownStyle((file, line) =>
    linkBase === undefined
      ? undefined
      : `${linkBase}/${file.split("/").map(encodeURIComponent).join("/")}#L${line}`,
  );
  const seen = new Set<string>();
  const cells: string[] = [];
  for (const finding of driver.findings.slice(0, 3)) {
    const lines = evidenceLines(finding, style);
    const fresh = (
      lines.length > 0
        ? lines
        : [lineLink(linkBase, finding.file, finding.line, `${finding.file}:${finding.line}`)]
    ).filter((line) => !seen.has(line));
    for (const line of fresh) seen.add(line);
    if (fresh.length > 0) cells.push(fresh.join("<br>"));
  }
  const more = driver.findings.length - Math.min(3, driver.findings.length);
  return cells.join("<br><br>") + (more > 0 ? `<br>and ${plural(more, "more finding")}` : "");
}

function driverLabel(driver: DriverReport): string {
  const name = driver.driver ?? driver.module;
  return `${code(driver.unit)} (${escapeMarkdown(name)})`;
}

interface Group {
  name: string;
  section?: MaintainersSection;
  drivers: DriverReport[];
}

/** `Name <address>` → the name, linked to the address. */
function person(entry: string): string {
  const match = /^(.*?)\s*<([^>]+)>/.exec(entry);
  if (!match) return escapeMarkdown(entry);
  const name = match[1]!.replace(/^"|"$/g, "") || match[2]!;
  return `[${escapeMarkdown(name)}](mailto:${encodeURI(match[2]!)})`;
}

function listAddress(entry: string): string {
  return escapeMarkdown(entry.split(/\s+/)[0] ?? entry);
}

/** Without MAINTAINERS, the first two directories (`drivers/net`) stand in for the subsystem. */
function directoryGroup(driver: DriverReport): string {
  return driver.unit.split("/").slice(0, 2).join("/");
}

export function groupBySubsystem(
  drivers: readonly DriverReport[],
  maintainers: Maintainers | undefined,
): Group[] {
  const groups = new Map<string, Group>();
  for (const driver of drivers) {
    const section = maintainers
      ? subsystemOf(maintainers, driver.files.length > 0 ? driver.files : [`${driver.unit}/`])
      : undefined;
    const name = section?.name ?? (maintainers ? "(no MAINTAINERS section)" : directoryGroup(driver));
    const group = groups.get(name) ?? { name, ...(section ? { section } : {}), drivers: [] };
    group.drivers.push(driver);
    groups.set(name, group);
  }
  // Largest first: where the work is.
  return [...groups.values()].sort(
    (a, b) => b.drivers.length - a.drivers.length || a.name.localeCompare(b.name),
  );
}

function groupBlock(group: Group, linkBase: string | undefined): string[] {
  const out = [`#### ${escapeMarkdown(group.name)} (${group.drivers.length})`, ""];
  const section = group.section;
  if (section) {
    const who = [...section.maintainers.map(person)];
    const facts = [
      who.length > 0 ? `Maintainers: ${who.join(", ")}` : "Maintainers: none listed",
      ...(section.lists.length > 0 ? [`Lists: ${section.lists.map(listAddress).join(", ")}`] : []),
      ...(section.status ? [`Status: ${escapeMarkdown(section.status)}`] : []),
    ];
    out.push(facts.join(" · "), "");
  }
  out.push("| driver | status | evidence |", "| --- | --- | --- |");
  const sorted = [...group.drivers].sort((a, b) => a.unit.localeCompare(b.unit));
  for (const driver of sorted)
    out.push(`| ${driverLabel(driver)} | ${driver.status} | ${driverEvidence(driver, linkBase)} |`);
  out.push("");
  return out;
}

export interface Trend {
  /** Needed conversion before, not now (converted, no longer using the API, or gone). */
  converted: string[];
  /** Need conversion now, did not before. */
  appeared: string[];
  delta: Record<Status, number>;
  /** False when a snapshot kept counts only: converted and appeared are then unknown. */
  byDriver: boolean;
}

export function trendOf(previous: ReportSnapshot, current: ReportSnapshot): Trend {
  const delta = Object.fromEntries(
    STATUSES.map((status) => [status, (current.summary[status] ?? 0) - (previous.summary[status] ?? 0)]),
  ) as Record<Status, number>;
  if (previous.driversOmitted || current.driversOmitted)
    return { converted: [], appeared: [], delta, byDriver: false };
  const before = new Set(Object.keys(previous.needsConversion));
  const now = new Set(Object.keys(current.needsConversion));
  return {
    byDriver: true,
    converted: [...before].filter((key) => !now.has(key)).sort(),
    appeared: [...now].filter((key) => !before.has(key)).sort(),
    delta,
  };
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : value < 0 ? `−${-value}` : "0";
}

function trendBlock(previous: ReportSnapshot, current: ReportSnapshot): string[] {
  const trend = trendOf(previous, current);
  const before = needsConversionCount(previous.summary);
  const now = needsConversionCount(current.summary);
  const out = [
    "### Since the previous run",
    "",
    `Needing conversion: ${before} → ${now} (${signed(now - before)})` +
      (trend.byDriver
        ? `; ${plural(trend.converted.length, "driver")} converted or gone, ${trend.appeared.length} new.`
        : " (the previous run kept counts only, not which drivers)."),
    "",
    "| status | previous | now | change |",
    "| --- | ---: | ---: | ---: |",
    ...STATUSES.map(
      (status) =>
        `| ${status} | ${previous.summary[status] ?? 0} | ${current.summary[status] ?? 0} | ${signed(trend.delta[status])} |`,
    ),
    "",
  ];
  const list = (title: string, keys: string[], statusOf: Record<string, Status>): void => {
    if (keys.length === 0) return;
    out.push(`**${title}**`, "", ...keys.map((key) => `- ${code(key)} (was ${statusOf[key]})`), "");
  };
  list("Converted or gone", trend.converted, previous.needsConversion);
  if (trend.appeared.length > 0) {
    out.push(
      "**Newly needing conversion**",
      "",
      ...trend.appeared.map((key) => `- ${code(key)}: ${current.needsConversion[key]}`),
      "",
    );
  }
  return out;
}

export function toMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const { summary } = report;
  const pending = report.drivers.filter(needsConversion);
  const total = needsConversionCount(summary);
  const eraText = eraParagraph(report.tree);
  const out: string[] = [
    `## ${escapeMarkdown(options.title ?? "MSI vector ownership")}: ${plural(total, "driver")} need${total === 1 ? "s" : ""} conversion`,
    "",
    [
      report.tree.kernelVersion
        ? `Linux ${escapeMarkdown(report.tree.kernelVersion)}`
        : "Kernel version unknown",
      `${plural(report.drivers.length, "module")} use the MSI API`,
      report.tree.pcimAllocIrqVectors
        ? "the tree has `pcim_alloc_irq_vectors()`"
        : "the tree does not have `pcim_alloc_irq_vectors()` yet",
      ...(report.stats.baselined
        ? [`${plural(report.stats.baselined, "finding")} accepted by the baseline`]
        : []),
    ].join(" · "),
    "",
    ...(eraText === undefined ? [] : [escapeMarkdown(eraText), ""]),
    ...countsTable(summary),
    "",
    ...pieChart(summary),
    "",
  ];
  const current = snapshotOf(report);
  if (options.previous) out.push(...trendBlock(asSnapshot(options.previous), current));
  if (pending.length > 0 && options.details !== false) {
    const groups = groupBySubsystem(pending, options.maintainers);
    out.push(
      `### Drivers needing conversion, by ${options.maintainers ? "MAINTAINERS section" : "directory"}`,
      "",
      ...groups.flatMap((group) => groupBlock(group, options.linkBase)),
    );
  }
  for (const warning of report.warnings ?? []) out.push(`> [!WARNING]`, `> ${escapeMarkdown(warning)}`, "");
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

/**
 * A task list of the drivers still needing conversion, one line each, linked to the first
 * evidence line: the tracking issue's checklist.
 */
export function conversionChecklist(
  report: Report,
  options: Pick<MarkdownOptions, "maintainers" | "linkBase"> = {},
): string[] {
  const pending = [...report.drivers.filter(needsConversion)].sort((a, b) => a.unit.localeCompare(b.unit));
  return pending.map((driver) => {
    const first = driver.findings[0];
    const where = first
      ? ` at ${lineLink(options.linkBase, first.file, first.line, `${first.file}:${first.line}`)}`
      : "";
    const section = options.maintainers ? subsystemOf(options.maintainers, driver.files) : undefined;
    return `- [ ] ${driverLabel(driver)}: ${driver.status}${where}${section ? ` · ${escapeMarkdown(section.name)}` : ""}`;
  });
}

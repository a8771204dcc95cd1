/**
 * SARIF 2.1.0, as GitHub code scanning (`upload-sarif`) reads it: one run, the rules from
 * src/rules/ as descriptors, one result per finding with its evidence chain as related
 * locations, the finding's fingerprint as a partial fingerprint, and the fix when it is
 * mechanical. Pure: the caller writes the file.
 */
import { PLAIN_STYLE, stepLine } from "./evidence.js";
import type * as sarif from "sarif";
import { RULES, type Rule } from "../rules/index.js";
import type { DriverReport, Edit, Finding, Report, Severity } from "./types.js";

export const SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json";
/** Where the sources are: results say `%SRCROOT%`, which upload-sarif maps to the checkout. */
export const SRCROOT = "%SRCROOT%";
/** Versioned so a change in how fingerprints are computed does not silently re-open alerts. */
export const FINGERPRINT_KEY = "msiOwnership/v1";
export const DEFAULT_INFORMATION_URI = "https://www.npmjs.com/package/msi-ownership";

export interface SarifOptions {
  /** The tool's home page, shown by code scanning beside each rule. */
  informationUri?: string;
  /**
   * Absolute `file://` URI of the tree's root, ending in `/`, to record in
   * `originalUriBaseIds`; when absent the root is described but not located (upload-sarif
   * locates it from the checkout).
   */
  srcRootUri?: string;
}

const LEVEL: Record<Severity, sarif.ReportingConfiguration.level> = {
  error: "error",
  warning: "warning",
  note: "note",
};

/** `msi-double-release` → `MsiDoubleRelease`: SARIF's `name` is an identifier-like word. */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

export function ruleDescriptor(rule: Rule): sarif.ReportingDescriptor {
  const example = rule.example.replace(/\t/g, "        ");
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.rationale },
    help: {
      text: `${rule.rationale}\n\nExample:\n\n${example.replace(/^/gm, "    ")}\n\nFix: ${rule.fix}`,
      markdown: `${rule.rationale}\n\n**Example**\n\n\`\`\`c\n${example}\n\`\`\`\n\n**Fix**: ${rule.fix}`,
    },
    defaultConfiguration: { level: LEVEL[rule.severity] },
    properties: {
      tags: ["correctness", "linux-kernel", "pci", "msi", "devres"],
      precision: "high",
      "problem.severity": rule.severity === "note" ? "recommendation" : rule.severity,
      status: rule.status,
    },
  };
}

/** Relative paths become URI references: each segment percent-encoded, `/` kept. */
export function pathToUri(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function artifactLocation(file: string): sarif.ArtifactLocation {
  return { uri: pathToUri(file), uriBaseId: SRCROOT };
}

function physicalLocation(file: string, line: number, column: number): sarif.PhysicalLocation {
  const region: sarif.Region = { startLine: Math.max(1, line) };
  if (column >= 1) region.startColumn = column;
  return { artifactLocation: artifactLocation(file), region };
}

/** SARIF messages are plain text with `[text](id)` links: brackets in the text are escaped. */
function escapeLinkText(text: string): string {
  return text.replace(/[[\]\\]/g, (c) => `\\${c}`);
}

/** The message with its evidence, each step linked to its related location. */
function resultMessage(finding: Finding): string {
  if (finding.evidence.length === 0) return escapeLinkText(finding.message);
  const links = finding.evidence.map(
    (step, index) => `[${escapeLinkText(stepLine(step, PLAIN_STYLE, finding.file))}](${index + 1})`,
  );
  return `${escapeLinkText(finding.message)} Evidence: ${links.join("; ")}.`;
}

function fixOf(finding: Finding): sarif.Fix[] | undefined {
  if (finding.fix.edits.length === 0) return undefined;
  const byFile = new Map<string, Edit[]>();
  for (const edit of finding.fix.edits) {
    const edits = byFile.get(edit.file) ?? [];
    edits.push(edit);
    byFile.set(edit.file, edits);
  }
  return [
    {
      description: { text: finding.fix.description },
      artifactChanges: [...byFile].map(([file, edits]) => ({
        artifactLocation: artifactLocation(file),
        replacements: edits.map((edit) => ({
          deletedRegion: {
            startLine: edit.startLine,
            startColumn: edit.startColumn,
            endLine: edit.endLine,
            endColumn: edit.endColumn,
          },
          insertedContent: { text: edit.replacement },
        })),
      })),
    },
  ];
}

function resultOf(finding: Finding, driver: DriverReport, ruleIndex: number): sarif.Result {
  const result: sarif.Result = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL[finding.severity],
    message: { text: resultMessage(finding) },
    locations: [{ physicalLocation: physicalLocation(finding.file, finding.line, finding.column) }],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    properties: {
      status: driver.status,
      unit: driver.unit,
      module: driver.module,
      ...(driver.driver === undefined ? {} : { driver: driver.driver }),
      ...(finding.new === undefined ? {} : { new: finding.new }),
    },
  };
  if (finding.evidence.length > 0) {
    result.relatedLocations = finding.evidence.map((step, index) => ({
      id: index + 1,
      physicalLocation: physicalLocation(step.file, step.line, step.column),
      message: { text: stepLine(step, PLAIN_STYLE, finding.file) },
    }));
  }
  const fixes = fixOf(finding);
  if (fixes) result.fixes = fixes;
  // PR mode: a finding the base already had is not new; code scanning shows it as unchanged.
  if (finding.new === false) result.baselineState = "unchanged";
  else if (finding.new === true) result.baselineState = "new";
  return result;
}

export function toSarif(report: Report, options: SarifOptions = {}): sarif.Log {
  const rules = RULES.map(ruleDescriptor);
  const indexOf = new Map(RULES.map((rule, index) => [rule.id, index]));
  const results: sarif.Result[] = [];
  for (const driver of report.drivers) {
    for (const finding of driver.findings) {
      let index = indexOf.get(finding.ruleId);
      if (index === undefined) {
        // A rule this build does not describe (a newer report): describe it minimally so
        // the log stays consistent rather than dropping the result.
        index = rules.length;
        indexOf.set(finding.ruleId, index);
        rules.push({ id: finding.ruleId, defaultConfiguration: { level: LEVEL[finding.severity] } });
      }
      results.push(resultOf(finding, driver, index));
    }
  }
  const srcRoot: sarif.ArtifactLocation = {
    description: { text: `The kernel tree's root (${report.tree.root})` },
  };
  if (options.srcRootUri !== undefined) srcRoot.uri = options.srcRootUri;
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: options.informationUri ?? DEFAULT_INFORMATION_URI,
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: srcRoot },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: (report.warnings ?? []).map((warning) => ({
              level: "warning",
              message: { text: warning },
            })),
          },
        ],
        results,
        properties: {
          kernelVersion: report.tree.kernelVersion,
          pcimAllocIrqVectors: report.tree.pcimAllocIrqVectors,
          ...(report.tree.era === undefined
            ? {}
            : { era: report.tree.era, eraDecidedBy: report.tree.eraDecidedBy }),
          summary: report.summary,
          ...(report.stats.baselined === undefined ? {} : { baselined: report.stats.baselined }),
        },
      },
    ],
  };
}

/**
 * Findings as GitHub annotations: Checks API objects, or workflow commands when the token may
 * not write checks. Pure: the I/O is in checks.ts and main.ts.
 */
import { evidenceLines } from "../report/evidence.js";
import type { Finding } from "../report/types.js";

export type AnnotationLevel = "notice" | "warning" | "failure";

/** One Checks API annotation (`output.annotations[]`). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: AnnotationLevel;
  title: string;
  message: string;
  raw_details?: string;
}

/** The Checks API takes at most 50 annotations per request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/**
 * A new finding is annotated at its severity; one already present at the base is a notice, so
 * the author sees it without being blamed for it.
 */
export function annotationLevel(finding: Finding): AnnotationLevel {
  if (finding.new === false) return "notice";
  return finding.severity === "error" ? "failure" : finding.severity === "warning" ? "warning" : "notice";
}

export function annotationTitle(finding: Finding): string {
  return finding.new === false ? `${finding.ruleId} (already at base)` : finding.ruleId;
}

export function toCheckAnnotation(finding: Finding): CheckAnnotation {
  const evidence = evidenceLines(finding);
  const annotation: CheckAnnotation = {
    path: finding.file,
    start_line: Math.max(1, finding.line),
    end_line: Math.max(1, finding.line),
    annotation_level: annotationLevel(finding),
    title: annotationTitle(finding),
    message: evidence.length === 0 ? finding.message : `${finding.message}\n\n${evidence.join("\n")}`,
  };
  // Columns are only accepted on one-line annotations, which these are.
  if (finding.column > 0) {
    annotation.start_column = finding.column;
    annotation.end_column = finding.column;
  }
  if (finding.fix.description !== "") annotation.raw_details = `Fix: ${finding.fix.description}`;
  return annotation;
}

export function batches<T>(items: readonly T[], size = ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A workflow-command annotation, as @actions/core's error/warning/notice take it. */
export interface CommandAnnotation {
  level: "error" | "warning" | "notice";
  message: string;
  properties: { title: string; file: string; startLine: number; startColumn?: number };
}

export function toCommandAnnotation(finding: Finding): CommandAnnotation {
  const level = annotationLevel(finding);
  const evidence = evidenceLines(finding);
  return {
    level: level === "failure" ? "error" : level,
    message: evidence.length === 0 ? finding.message : `${finding.message}\n${evidence.join("\n")}`,
    properties: {
      title: annotationTitle(finding),
      file: finding.file,
      startLine: Math.max(1, finding.line),
      ...(finding.column > 0 && { startColumn: finding.column }),
    },
  };
}

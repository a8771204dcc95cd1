/**
 * A baseline: findings a fork has accepted, by fingerprint. Findings in it are dropped from a
 * report and counted in `stats.baselined`; a driver's status stays what the analysis found,
 * so the summary still says how many drivers need conversion.
 */
import { readFile } from "node:fs/promises";
import { InputError } from "../scan/source.js";
import type { Report } from "./types.js";

export const BASELINE_SCHEMA = "msi-ownership/baseline@1";

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  /** Sorted, without duplicates, so the file diffs well in review. */
  fingerprints: string[];
}

export function baselineOf(report: Report): Baseline {
  const fingerprints = new Set(
    report.drivers.flatMap((driver) => driver.findings.map((finding) => finding.fingerprint)),
  );
  return { schema: BASELINE_SCHEMA, fingerprints: [...fingerprints].sort() };
}

/** The baseline file's text: one fingerprint per line of JSON. */
export function writeBaseline(report: Report): string {
  return `${JSON.stringify(baselineOf(report), null, 2)}\n`;
}

/** Checks parsed JSON is a baseline; `name` (the file) is in every error. */
export function parseBaseline(text: string, name: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`--baseline ${name}: not JSON (${(error as Error).message})`);
  }
  const candidate = value as Partial<Baseline> | null;
  if (typeof candidate !== "object" || candidate === null || candidate.schema !== BASELINE_SCHEMA) {
    throw new InputError(
      `--baseline ${name}: not a baseline (expected "schema": "${BASELINE_SCHEMA}"; write one with \`msi-ownership baseline --output FILE\`)`,
    );
  }
  if (
    !Array.isArray(candidate.fingerprints) ||
    !candidate.fingerprints.every((entry) => typeof entry === "string")
  ) {
    throw new InputError(`--baseline ${name}: "fingerprints" must be an array of strings`);
  }
  return { schema: BASELINE_SCHEMA, fingerprints: candidate.fingerprints };
}

export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "is a directory"
          : (code ?? (error as Error).message);
    throw new InputError(`--baseline ${path}: cannot read (${reason})`);
  }
  return parseBaseline(text, path);
}

/**
 * The report without the accepted findings, and how many were dropped (added to any count
 * already there). Statuses and the summary are left alone on purpose: accepting a finding
 * does not convert a driver.
 */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  const accepted = new Set(baseline.fingerprints);
  let dropped = 0;
  const drivers = report.drivers.map((driver) => {
    const findings = driver.findings.filter((finding) => !accepted.has(finding.fingerprint));
    dropped += driver.findings.length - findings.length;
    return findings.length === driver.findings.length ? driver : { ...driver, findings };
  });
  return {
    ...report,
    drivers,
    stats: { ...report.stats, baselined: (report.stats.baselined ?? 0) + dropped },
  };
}

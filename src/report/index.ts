/**
 * Every report format, in one registry: the CLI's `--format`, the action and Danger render
 * through it. Rendering is pure; what a format needs from outside (MAINTAINERS, an earlier
 * report) is read at the edge by loadFormatOptions().
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FsSource, InputError } from "../scan/source.js";
import { parseMaintainers, type Maintainers } from "./maintainers.js";
import { SNAPSHOT_SCHEMA, toMarkdown, type MarkdownOptions, type ReportSnapshot } from "./markdown.js";
import { toSarif, type SarifOptions } from "./sarif.js";
import { toCodeQuality } from "./codequality.js";
import { formatText } from "./text.js";
import { REPORT_SCHEMA, type Report } from "./types.js";

export const REPORT_FORMATS = ["text", "json", "sarif", "markdown", "codequality"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface FormatOptions {
  markdown?: MarkdownOptions;
  sarif?: SarifOptions;
}

export function parseReportFormat(value: string, input = "--format"): ReportFormat {
  if ((REPORT_FORMATS as readonly string[]).includes(value)) return value as ReportFormat;
  throw new InputError(`${input}: unknown value '${value}' (allowed: ${REPORT_FORMATS.join(", ")})`);
}

export function formatReport(report: Report, format: ReportFormat, options: FormatOptions = {}): string {
  switch (format) {
    case "text":
      return formatText(report);
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(toSarif(report, options.sarif), null, 2)}\n`;
    case "markdown":
      return toMarkdown(report, options.markdown);
    case "codequality":
      return `${JSON.stringify(toCodeQuality(report), null, 2)}\n`;
  }
}

/**
 * The tree's MAINTAINERS, or undefined when the tree has none (a partial checkout). Read through
 * FsSource: a MAINTAINERS that links out of the tree (to a runner's secrets) is not read.
 */
export async function readMaintainers(root: string): Promise<Maintainers | undefined> {
  let text: string;
  try {
    const data = await (await FsSource.open(root)).read("MAINTAINERS");
    if (data === undefined) return undefined;
    text = data.toString("utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(
      `${join(root, "MAINTAINERS")}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseMaintainers(text);
}

/** An earlier JSON report (or a snapshot), for `--previous FILE`; `input` names the option in errors. */
export async function readPreviousReport(
  path: string,
  input = "--previous",
): Promise<Report | ReportSnapshot> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      `${input} ${path}: cannot read (${code === "ENOENT" ? "no such file" : (code ?? (error as Error).message)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${input} ${path}: not JSON (${(error as Error).message})`);
  }
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema === REPORT_SCHEMA || schema === SNAPSHOT_SCHEMA) {
    const summary = (value as { summary?: unknown }).summary;
    if (typeof summary === "object" && summary !== null) return value as Report | ReportSnapshot;
  }
  throw new InputError(
    `${input} ${path}: not a msi-ownership JSON report (expected "schema": "${REPORT_SCHEMA}"; write one with --format json)`,
  );
}

export interface FormatInputs {
  /** The tree's root on disk: MAINTAINERS is read from it, and SARIF records it. */
  root: string;
  /** `--previous FILE`: an earlier JSON report for the Markdown trend. */
  previous?: string;
  /** Blob URL prefix for evidence links, `https://github.com/OWNER/REPO/blob/SHA`. */
  linkBase?: string;
}

/** Reads what `format` needs; formats that need nothing read nothing. */
export async function loadFormatOptions(format: ReportFormat, inputs: FormatInputs): Promise<FormatOptions> {
  if (format === "markdown") {
    const maintainers = await readMaintainers(inputs.root);
    const previous = inputs.previous === undefined ? undefined : await readPreviousReport(inputs.previous);
    return {
      markdown: {
        ...(maintainers ? { maintainers } : {}),
        ...(previous ? { previous } : {}),
        ...(inputs.linkBase === undefined ? {} : { linkBase: inputs.linkBase.replace(/\/+$/, "") }),
      },
    };
  }
  if (format === "sarif") {
    const href = pathToFileURL(resolve(inputs.root)).href;
    return { sarif: { srcRootUri: href.endsWith("/") ? href : `${href}/` } };
  }
  return {};
}

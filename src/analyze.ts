/**
 * The analysis entry point: a tree (or part of it) in, a report out. Pure apart from reading
 * the source; GitHub and Danger live at the edges and call this.
 */
import type { ParserKind } from "./parse/backend.js";

import type { TreeEra } from "./era/core.js";

export interface Progress {
  phase: "scan" | "parse" | "analyse";
  done: number;
  total: number;
}

export interface AnalyzeOptions {
  /** Directories or files under the root; default `["drivers"]`. */
  paths?: string[];
  /** PR mode: analyse only the modules these files belong to (each module whole). */
  onlyModulesOf?: string[];
  /** Worker threads for parsing; default: the machine's cores. */
  jobs?: number;
  /** Facts cache directory, or false for none. */
  cache?: string | false;
  onProgress?: (progress: Progress) => void;
  /** Audit only this share of the modules (`--shard K/N`): 1-based index, count. */
  shard?: { index: number; count: number };
  /** Parse every file of a relevant module instead of only those that can matter (tests). */
  prefilter?: boolean;
  /** The parser of every thread; default: chooseParser() (MSI_OWNERSHIP_PARSER, else native). */
  parser?: ParserKind;
  /** The tree's era when the caller has read it already (PR mode reads it to pick the modules). */
  era?: TreeEra;
}

export { analyze } from "./scan/audit.js";

/**
 * A finding's evidence in the kernel's words, one step a line, code set as code and nothing
 * else: the one renderer that Danger, the job summary, check-run annotations, SARIF and the
 * Markdown report share. Pure.
 *
 *   managed by `pcim_enable_device()` at pci.c:59 in `hsu_pci_probe()`
 *   vectors allocated by `pci_alloc_irq_vectors()` at pci.c:80 in `hsu_pci_probe()`
 *   `hsu_pci_remove()` at pci.c:118 is the `.remove` of `hsu_pci_driver`
 *   released by `pci_free_irq_vectors()` at pci.c:120 in `hsu_pci_remove()`
 *   released again by devres at detach
 */
import type { Evidence, Finding, PathKind } from "./types.js";
import { TEARDOWN_PATHS } from "./types.js";

export interface EvidenceStyle {
  /** How code is set: `x` in Markdown, bare in plain text. */
  code(text: string): string;
  /** How `file:line` is shown (the label is short; a style may link it to the line). */
  location(file: string, line: number, label: string): string;
}

/** A name from the tree stays on its line, whatever characters it holds. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, " ");
}

/** Plain text: check-run annotations, SARIF messages, terminals. */
export const PLAIN_STYLE: EvidenceStyle = {
  code: oneLine,
  location: (_file, _line, label) => oneLine(label),
};

/** Markdown, with `file:line` linked where `link` gives a URL. */
export function markdownStyle(link: (file: string, line: number) => string | undefined): EvidenceStyle {
  return {
    code: (text) => `\`${oneLine(text).replace(/`/g, "'")}\``,
    location: (file, line, label) => {
      const url = link(file, line);
      // A path is data: it must not open a link, a tag or a table cell.
      const text = oneLine(label).replace(/[\\[\]<>|`*]/g, (c) => `\\${c}`);
      return url === undefined ? text : `[${text}](${url})`;
    },
  };
}

/** Rules whose claim ends with devres releasing again. */
const TEARDOWN_RULES = new Set(["msi-double-release", "msi-converted-double-release"]);

/** After an entry step: why the release is needed on that path (it is not a teardown). */
const NEEDED: Partial<Record<PathKind, string>> = {
  "re-allocation": "an allocation or INTx setup follows the release there",
  "probe-continues": "probe goes on to succeed after the release",
  shutdown: "devres does not run at shutdown",
  suspend: "the vectors are set up again on resume",
  runtime: "the next open, reset or DRIVER_OK allocates again",
  unknown: "the analysis cannot see its callers",
};

/** Names, fields and calls in our own texts (`.remove of foo_driver`) set as code. */
function codeWords(text: string, style: EvidenceStyle): string {
  return text.replace(/(\.[a-z_]+\b|\b[A-Za-z_]\w*\(\)|\b[a-z0-9]+(?:_[a-z0-9]+)+\b)/g, (word) =>
    style.code(word),
  );
}

/** The callee of a call step's text: `pci_free_irq_vectors(pdev)` → `pci_free_irq_vectors()`. */
function callee(step: Evidence): string {
  return `${/^\s*([A-Za-z_]\w*)/.exec(step.text)?.[1] ?? step.text}()`;
}

/** One step, with paths shown relative to the finding's directory. */
export function stepLine(step: Evidence, style: EvidenceStyle, relativeTo: string): string {
  const dir = relativeTo.slice(0, relativeTo.lastIndexOf("/") + 1);
  const label = `${step.file.startsWith(dir) ? step.file.slice(dir.length) : step.file}:${step.line}`;
  const at = style.location(step.file, step.line, label);
  const inFunction = `in ${style.code(`${step.function}()`)}`;
  switch (step.role) {
    case "managed-enable":
      return `managed by ${style.code(callee(step))} at ${at} ${inFunction}`;
    case "unmanaged-enable":
      return `enabled, unmanaged, by ${style.code(callee(step))} at ${at} ${inFunction}`;
    case "hybrid-alloc":
      return `vectors allocated by ${style.code(callee(step))} at ${at} ${inFunction}`;
    case "managed-alloc":
      return `vectors allocated, devres-managed, by ${style.code(callee(step))} at ${at} ${inFunction}`;
    case "release":
      return `released by ${style.code(callee(step))} at ${at} ${inFunction}`;
    case "call":
      return `${style.code(`${step.function}()`)} calls ${style.code(callee(step))} at ${at}`;
    case "entry": {
      const what = step.text.replace(/^\s*[A-Za-z_]\w*\(\) is /, "");
      const head = `${style.code(`${step.function}()`)} at ${at} is ${codeWords(what, style)}`;
      if (step.path === undefined || TEARDOWN_PATHS.has(step.path)) {
        return step.path === "probe-error" ? `${head}, on its error path after the allocation` : head;
      }
      const needed = NEEDED[step.path];
      return `also reached: ${head}, where the release is needed${needed === undefined ? "" : ` (${needed})`}`;
    }
  }
}

/** The finding's chain, one step a line, with devres' own release last where it is the claim. */
export function evidenceLines(finding: Finding, style: EvidenceStyle = PLAIN_STYLE): string[] {
  const lines = finding.evidence.map((step) => stepLine(step, style, finding.file));
  if (TEARDOWN_RULES.has(finding.ruleId) && finding.evidence.length > 0) {
    const releaseAt = finding.evidence.findIndex((step) => step.role === "release");
    if (releaseAt >= 0) lines.splice(releaseAt + 1, 0, "released again by devres at detach (a no-op today)");
  }
  return lines;
}

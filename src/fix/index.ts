/**
 * `msi-ownership fix`: from a report and the tree's files to one patch per module that needs
 * work, and the list of those that get none, with the reason. Pure apart from `read`.
 */
import { NEEDS_CONVERSION, STATUSES, type Report } from "../report/types.js";
import { leakAdvice } from "./leak-advice.js";
import { bodyOf, subjectOf } from "./message.js";
import { formatPatch } from "./patch.js";
import { planModule, type ModulePlan, type ModuleWork } from "./plan.js";
import { readyParser } from "../parse/backend.js";
import { parseFile, type ParsedFile } from "./syntax.js";

export interface FixOptions {
  /** Subjects of the recent commits that touch these files, newest first (`git log`), if any. */
  history?: (files: readonly string[]) => Promise<string[]>;
  /** Convert to pcim_alloc_irq_vectors() even when the tree does not declare it. */
  assumePcimApi: boolean;
  from: string;
  date: Date;
  signature: string;
}

export interface GeneratedPatch {
  /** `0001-net-ice-Drop-redundant-pci_free_irq_vectors.patch`. */
  name: string;
  unit: string;
  module: string;
  subject: string;
  files: string[];
  text: string;
  /** Set when the patch does less than the status asks (dropped releases, no conversion). */
  note?: string;
}

export interface SkippedModule {
  unit: string;
  module: string;
  status: string;
  reason: string;
}

export interface FixResult {
  patches: GeneratedPatch[];
  skipped: SkippedModule[];
}

/** The modules that need work, each once even when it has several struct pci_driver. */
export function modulesNeedingWork(report: Report): (ModuleWork & { files: string[] })[] {
  const byModule = new Map<string, ModuleWork & { files: string[] }>();
  for (const driver of report.drivers) {
    if (!NEEDS_CONVERSION.includes(driver.status)) continue;
    const key = `${driver.unit}\0${driver.module}`;
    const work = byModule.get(key);
    if (work === undefined) {
      byModule.set(key, {
        unit: driver.unit,
        module: driver.module,
        status: driver.status,
        findings: [...driver.findings],
        files: [...driver.files],
      });
      continue;
    }
    if (STATUSES.indexOf(driver.status) < STATUSES.indexOf(work.status)) work.status = driver.status;
    const known = new Set(work.findings.map((finding) => finding.fingerprint));
    work.findings.push(...driver.findings.filter((finding) => !known.has(finding.fingerprint)));
  }
  return [...byModule.values()].sort((a, b) => (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

/** git format-patch's file name: the subject with runs of other characters as `-`. */
export function patchFileName(number: number, subject: string): string {
  const slug = subject
    .replace(/[^A-Za-z0-9._]+/g, "-")
    .replace(/\.+/g, ".")
    .slice(0, 52)
    .replace(/[-.]+$/, "")
    .replace(/^[-.]+/, "");
  return `${String(number).padStart(4, "0")}-${slug}.patch`;
}

const GENERIC_DIRS = new Set([
  "busses",
  "host",
  "controller",
  "switch",
  "pci",
  "common",
  "core",
  "hw",
  "nic",
  "drivers",
]);

/** The directory holding a module's files, when no other reported module shares it. */
export function ownDirectories(report: Report): Map<string, string> {
  const common = (files: readonly string[]): string => {
    const dirs = files.map((file) => file.split("/").slice(0, -1));
    const first = dirs[0] ?? [];
    let length = first.length;
    for (const dir of dirs) {
      let same = 0;
      while (same < length && dir[same] === first[same]) same++;
      length = same;
    }
    return first.slice(0, length).join("/");
  };
  const modulesIn = new Map<string, Set<string>>();
  const dirOf = new Map<string, string>();
  const filesOf = new Map<string, number>();
  for (const driver of report.drivers) {
    const key = `${driver.unit}\0${driver.module}`;
    const dir = common(driver.files);
    dirOf.set(key, dir);
    filesOf.set(key, driver.files.length);
    const set = modulesIn.get(dir) ?? new Set<string>();
    set.add(key);
    modulesIn.set(dir, set);
  }
  const own = new Map<string, string>();
  for (const [key, dir] of dirOf) {
    // drivers/<subsystem> itself holds many drivers, listed or not; so do directories named
    // for a kind of driver (busses/, host/); a one-file module is named for its file.
    const name = dir.split("/").at(-1) as string;
    if (dir.split("/").length <= 2 || (modulesIn.get(dir)?.size ?? 0) > 1 || GENERIC_DIRS.has(name)) continue;
    if ((filesOf.get(key) ?? 0) < 2) continue;
    own.set(key, name);
  }
  return own;
}

/** The module's files that could be read, parsed (the parser loaded on first use). */
async function parseModuleFiles(
  paths: readonly string[],
  read: (path: string) => Promise<string | undefined>,
): Promise<ParsedFile[]> {
  await readyParser();
  const files: ParsedFile[] = [];
  for (const path of paths) {
    const text = await read(path);
    if (text !== undefined) files.push(parseFile(path, text));
  }
  return files;
}

export async function buildPatches(
  report: Report,
  read: (path: string) => Promise<string | undefined>,
  options: FixOptions,
): Promise<FixResult> {
  const result: FixResult = { patches: [], skipped: [] };
  const convert = report.tree.pcimAllocIrqVectors || options.assumePcimApi;
  const directories = ownDirectories(report);
  for (const work of modulesNeedingWork(report)) {
    const files = await parseModuleFiles(work.files, read);
    const plan: ModulePlan = planModule(work, files, { convert });
    if (plan.changes.length === 0) {
      result.skipped.push({
        unit: work.unit,
        module: work.module,
        status: work.status,
        reason: reasonWithoutPatch(work, files, plan),
      });
      continue;
    }
    const history = (await options.history?.(plan.changes.map((change) => change.path))) ?? [];
    const subject = subjectOf(plan, directories.get(`${work.unit}\0${work.module}`), history);
    const text = formatPatch(
      {
        from: options.from,
        date: options.date,
        subject,
        body: bodyOf(plan, report.tree.pcimAllocIrqVectors),
        signature: options.signature,
      },
      plan.changes,
    );
    const patch: GeneratedPatch = {
      name: patchFileName(result.patches.length + 1, subject),
      unit: work.unit,
      module: work.module,
      subject,
      files: plan.changes.map((change) => change.path).sort(),
      text,
    };
    if (plan.reason !== undefined) patch.note = plan.reason;
    result.patches.push(patch);
  }
  return result;
}

/** Why a module gets no patch; in era 3, for a driver that leaks, what a human must add. */
function reasonWithoutPatch(work: ModuleWork, files: readonly ParsedFile[], plan: ModulePlan): string {
  const reason = plan.reason ?? "nothing to change";
  return work.status === "leaks-at-detach"
    ? `${leakAdvice(work, files)} (no mechanical patch: ${reason})`
    : reason;
}

/** The summary written beside the patches and printed: what got a patch, what did not and why. */
export function summaryText(result: FixResult): string {
  const lines = [`${result.patches.length} patch${result.patches.length === 1 ? "" : "es"}`];
  for (const patch of result.patches) {
    lines.push(`  ${patch.name}  ${patch.unit}${patch.note === undefined ? "" : `  (${patch.note})`}`);
  }
  lines.push(`${result.skipped.length} module${result.skipped.length === 1 ? "" : "s"} without a patch`);
  for (const skipped of result.skipped) {
    lines.push(`  ${skipped.unit} [${skipped.status}]: ${skipped.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

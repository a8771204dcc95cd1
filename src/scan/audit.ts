/**
 * The audit: walk the tree, group .c files into modules by Kbuild, prefilter by the catalog's
 * names, get FileFacts (cache or parse), run the ownership model per module, assemble the
 * report. The only stage that reads files; everything after it is pure.
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import type { AnalyzeOptions } from "../analyze.js";
import { CATALOG_NAMES, MSI_NAMES, OTHER_DEVICE_LOOKUPS } from "../catalog.js";
import { parseKbuild, unitName, type ModuleDefinition } from "../kbuild/makefile.js";
import { analyseModule, type TreeTraits } from "../model/ownership.js";
import type { FileFacts } from "../parse/facts.js";
import { compareDrivers, summarize } from "../report/summary.js";
import { REPORT_SCHEMA, type DriverReport, type Report } from "../report/types.js";
import { TOOL_NAME, TOOL_VERSION } from "../version.js";
import { contentHash, defaultCacheDir, FactsCache } from "./cache.js";
import { isParseFailure, parseFiles } from "./pool.js";
import { lexicalSummary } from "./lexical.js";
import { InputError, type TreeSource } from "./source.js";

/** A build unit: the .c files of one module, or a file no Makefile names. */
export interface Unit {
  unit: string;
  module: string;
  sources: string[];
}

const MENTION = new RegExp(`\\b(?:${CATALOG_NAMES.join("|")})\\b`);
const MSI_MENTION = new RegExp(`\\b(?:${MSI_NAMES.join("|")})\\b`);
/** Besides the catalog: what the model starts from (device lookups, a pci_driver, PM ops). */
const SEED = new RegExp(
  `\\b(?:${OTHER_DEVICE_LOOKUPS.join("|")})\\b|\\bstruct\\s+pci_driver\\s+\\w+\\s*=|\\bdev_pm_ops\\b|PM_OPS\\s*\\(`,
);

const SEED_NEEDLES = ["pci_get_", "pci_physfn", "pci_driver", "dev_pm_ops", "PM_OPS"];

/** What a file's text says about it, read once during the scan. Comments may match: the parse decides. */
export interface TextClass {
  /** Names a catalog function: its module is in the report if code calls it. */
  catalog: boolean;
  /** Names an MSI allocator or release: only then can its module be other than no-msi. */
  msi: boolean;
  /** Parsed first when its module is parsed: it names what the model starts from. */
  seed: boolean;
}

export function classifyText(source: Buffer): TextClass {
  // Every catalog and lookup name starts with "pci": one native search rules out most files.
  const pci = source.includes("pci");
  if (!pci && !source.includes("PM_OPS") && !source.includes("dev_pm_ops")) {
    return { catalog: false, msi: false, seed: false };
  }
  const text = source.toString("latin1");
  const catalog = pci && MENTION.test(text);
  const maybeSeed = SEED_NEEDLES.some((needle) => text.includes(needle));
  return { catalog, msi: catalog && MSI_MENTION.test(text), seed: catalog || (maybeSeed && SEED.test(text)) };
}

/** Names of the functions that call a catalog function, directly or through other functions. */
export function reachingCatalog(files: readonly (FileFacts | undefined)[]): Set<string> {
  const reaching = new Set<string>();
  const callees = new Map<string, Set<string>>();
  for (const file of files) {
    if (file === undefined) continue;
    for (const call of file.calls) {
      const fn = call.fn >= 0 ? file.functions[call.fn]?.name : undefined;
      if (fn === undefined) continue;
      if (call.role !== undefined) reaching.add(fn);
      const set = callees.get(fn) ?? new Set<string>();
      set.add(call.callee);
      callees.set(fn, set);
    }
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const [fn, called] of callees) {
      if (reaching.has(fn)) continue;
      for (const callee of called) {
        if (reaching.has(callee)) {
          reaching.add(fn);
          changed = true;
          break;
        }
      }
    }
  }
  return reaching;
}

function normalisePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new InputError(`path ${path}: outside the root`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

function isMakefile(path: string): boolean {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base === "Makefile" || base === "Kbuild";
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Groups .c files into units: Kbuild modules first, then one unit per file no Makefile names. */
export function groupUnits(cFiles: readonly string[], definitions: readonly ModuleDefinition[]): Unit[] {
  const present = new Set(cFiles);
  const claimed = new Set<string>();
  const units: Unit[] = [];
  for (const definition of definitions) {
    const sources = definition.sources.filter((source) => present.has(source));
    if (sources.length === 0) continue;
    for (const source of sources) claimed.add(source);
    units.push({ unit: unitName(definition), module: definition.name, sources });
  }
  for (const file of cFiles) {
    if (claimed.has(file)) continue;
    const base = file.slice(file.lastIndexOf("/") + 1, -2);
    units.push({ unit: file.slice(0, -2), module: base, sources: [file] });
  }
  return units;
}

/**
 * The shard (1..count) a unit belongs to: a hash of its name, so a unit stays in its shard
 * however the rest of the tree changes, and modules are never split.
 */
export function shardOf(unit: string, count: number): number {
  return (createHash("sha256").update(unit).digest().readUInt32BE(0) % count) + 1;
}

export async function readTraits(source: TreeSource): Promise<TreeTraits & { kernelVersion: string | null }> {
  const makefile = (await source.read("Makefile").catch(() => undefined))?.toString("utf8") ?? "";
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*=\\s*(\\S*)`, "m").exec(makefile)?.[1];
  const version = field("VERSION");
  const patchlevel = field("PATCHLEVEL");
  const sublevel = field("SUBLEVEL");
  const kernelVersion =
    version !== undefined && patchlevel !== undefined
      ? [version, patchlevel, sublevel].filter((part) => part !== undefined && part !== "").join(".")
      : null;
  const pciHeader =
    (await source.read("include/linux/pci.h").catch(() => undefined))?.toString("latin1") ?? "";
  return { kernelVersion, pcimAllocIrqVectors: /\bpcim_alloc_irq_vectors\s*\(/.test(pciHeader) };
}

export async function analyze(source: TreeSource, options: AnalyzeOptions = {}): Promise<Report> {
  const started = performance.now();
  const paths = (options.paths ?? ["drivers"]).map(normalisePath);
  const warnings: string[] = [];
  const progress = options.onProgress ?? (() => undefined);

  const listed = new Set<string>();
  for (const path of paths) {
    const files = await source.list(path);
    if (files.length === 0) {
      const single = await source.read(path).catch(() => undefined);
      if (single === undefined)
        throw new InputError(`path ${path}: no such file or directory under the root ${source.root}`);
      listed.add(path);
    }
    for (const file of files) listed.add(file.path);
  }
  // Makefiles of the paths' ancestors may define modules whose parts are under the paths.
  const makefiles = [...listed].filter(isMakefile);
  for (const path of paths) {
    for (let dir = dirOf(path); ; dir = dirOf(dir)) {
      for (const name of ["Makefile", "Kbuild"]) {
        const candidate = dir === "" ? name : `${dir}/${name}`;
        if (!listed.has(candidate) && dir !== "") makefiles.push(candidate);
      }
      if (dir === "") break;
    }
  }
  const definitions: ModuleDefinition[] = [];
  for (const makefile of makefiles) {
    const text = await source.read(makefile).catch(() => undefined);
    if (text !== undefined) definitions.push(...parseKbuild(dirOf(makefile), text.toString("utf8")));
  }
  const cFiles = [...listed].filter((path) => path.endsWith(".c")).sort();
  let units = groupUnits(cFiles, definitions);
  if (options.onlyModulesOf !== undefined) {
    const touched = new Set(options.onlyModulesOf.map(normalisePath));
    units = units.filter((unit) => unit.sources.some((file) => touched.has(file)));
  }

  if (options.shard !== undefined) {
    const { index, count } = options.shard;
    units = units.filter((unit) => shardOf(unit.unit, count) === index);
  }

  // Read every candidate file once; a unit matters when one of its files mentions the catalog.
  // Only each file's text class is kept: the files needed later are read again, which keeps
  // the peak memory down.
  const candidates = [...new Set(units.flatMap((unit) => unit.sources))];
  const classes = new Map<string, TextClass>();
  const unreadable = new Set<string>();
  let scanned = 0;
  const readOrWarn = async (path: string): Promise<Buffer | undefined> => {
    try {
      const data = await source.read(path);
      if (data === undefined) warnings.push(`${path}: skipped: not a regular file inside the root`);
      return data;
    } catch (error) {
      warnings.push(`${path}: skipped: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
  };
  for (const path of candidates) {
    const data = await readOrWarn(path);
    if (data === undefined) unreadable.add(path);
    else {
      const textClass = classifyText(data);
      if (textClass.seed) classes.set(path, textClass);
    }
    progress({ phase: "scan", done: ++scanned, total: candidates.length });
  }
  const relevant = units.filter((unit) => unit.sources.some((file) => classes.get(file)?.catalog === true));
  // Files are read again when needed rather than kept: the audit's peak memory stays low.
  const bytesOf = async (path: string): Promise<Buffer | undefined> =>
    unreadable.has(path) ? undefined : source.read(path).catch(() => undefined);

  const cache = FactsCache.open(options.cache ?? defaultCacheDir(), {
    onWarning: (message) => warnings.push(message),
  });
  const jobs = options.jobs ?? availableParallelism();
  const facts = new Map<string, FileFacts>();
  const parse = async (paths: readonly string[]): Promise<void> => {
    const misses: { path: string; source: Buffer; hash: string }[] = [];
    for (const path of paths) {
      if (facts.has(path)) continue;
      const data = await bytesOf(path);
      if (data === undefined) continue;
      const hash = contentHash(data);
      const cached = cache.get(hash, path);
      if (cached !== undefined) facts.set(path, cached);
      else misses.push({ path, source: data, hash });
    }
    const base = facts.size;
    const results = await parseFiles(misses, jobs, (parsed) =>
      progress({ phase: "parse", done: base + parsed, total: base + misses.length }),
    );
    results.forEach((result, index) => {
      const miss = misses[index] as { path: string; hash: string };
      if (isParseFailure(result)) {
        warnings.push(`${miss.path}: skipped: ${result.error}`);
        return;
      }
      facts.set(miss.path, result);
      cache.set(miss.hash, result);
    });
  };

  // A unit whose text never names an MSI allocator or release can only be no-msi: a lexical
  // reading gives what the report shows of it. The others are parsed: first the seeds (files
  // that name the catalog, a device lookup, a pci_driver or PM ops), then, until nothing
  // changes, every file whose text calls a function that reaches a catalog call, the files that
  // can add a call-graph path. A file that never names such a function cannot change the model.
  const prefilter = options.prefilter !== false;
  const parsedUnits = prefilter
    ? relevant.filter((unit) => unit.sources.some((path) => classes.get(path)?.msi === true))
    : relevant;
  const lexicalUnits = relevant.filter((unit) => !parsedUnits.includes(unit));
  await parse(
    parsedUnits.flatMap((unit) =>
      unit.sources.filter((path) => !prefilter || classes.get(path)?.seed === true),
    ),
  );
  for (let pending = parsedUnits; pending.length > 0;) {
    const more: string[] = [];
    const next: Unit[] = [];
    for (const unit of pending) {
      const reaching = reachingCatalog(unit.sources.map((path) => facts.get(path)));
      if (reaching.size === 0) continue;
      const calls = new RegExp(`\\b(?:${[...reaching].join("|")})\\s*\\(`);
      const found: string[] = [];
      for (const path of unit.sources) {
        if (!facts.has(path) && calls.test((await bytesOf(path))?.toString("latin1") ?? "")) found.push(path);
      }
      if (found.length > 0) {
        more.push(...found);
        next.push(unit);
      }
    }
    await parse(more);
    pending = next;
  }
  const cacheHits = cache.stats.hits;

  const traits = await readTraits(source);
  const drivers: DriverReport[] = [];
  for (const unit of parsedUnits) {
    const files = unit.sources
      .map((path) => facts.get(path))
      .filter((fact): fact is FileFacts => fact !== undefined);
    if (files.length === 0) continue;
    drivers.push(
      ...analyseModule({ unit: unit.unit, module: unit.module, sources: unit.sources, files }, traits),
    );
  }
  for (const unit of lexicalUnits) {
    const texts: string[] = [];
    for (const path of unit.sources) texts.push((await bytesOf(path))?.toString("latin1") ?? "");
    const summary = lexicalSummary(texts);
    if (!summary.callsCatalog) continue;
    const base = {
      unit: unit.unit,
      module: unit.module,
      files: [...unit.sources],
      status: "no-msi" as const,
      findings: [],
    };
    if (summary.drivers.length === 0) drivers.push(base);
    for (const driver of summary.drivers) drivers.push({ ...base, driver });
  }
  drivers.sort(compareDrivers);

  const summary = summarize(drivers);
  const report: Report = {
    schema: REPORT_SCHEMA,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    tree: {
      root: source.root,
      kernelVersion: traits.kernelVersion,
      pcimAllocIrqVectors: traits.pcimAllocIrqVectors,
    },
    drivers,
    summary,
    stats: {
      filesScanned: scanned,
      filesParsed: facts.size,
      durationMs: Math.round(performance.now() - started),
      cacheHits,
    },
  };
  if (warnings.length > 0) report.warnings = warnings.sort();
  return report;
}

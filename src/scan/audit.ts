/**
 * The audit: walk the tree, group .c files into modules by Kbuild, prefilter by the catalog's
 * names, get FileFacts (cache or parse), run the ownership model per module, assemble the
 * report. The only stage that reads files; everything after it is pure.
 */
import { availableParallelism } from "node:os";
import type { AnalyzeOptions } from "../analyze.js";
import { CATALOG_NAMES, MSI_NAMES, OTHER_DEVICE_LOOKUPS } from "../catalog.js";
import { parseKbuild, unitName, type ModuleDefinition } from "../kbuild/makefile.js";
import { analyseModule, type TreeTraits } from "../model/ownership.js";
import type { FileFacts } from "../parse/facts.js";
import { REPORT_SCHEMA, STATUSES, type DriverReport, type Report, type Status } from "../report/types.js";
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

const SEED = new RegExp(
  `\\b(?:${[...CATALOG_NAMES, ...OTHER_DEVICE_LOOKUPS].join("|")})\\b|\\bstruct\\s+pci_driver\\s+\\w+\\s*=|\\bdev_pm_ops\\b|PM_OPS\\s*\\(`,
);

const MSI_MENTION = new RegExp(`\\b(?:${MSI_NAMES.join("|")})\\b`);

/** Whether the text names an MSI allocator or release: only then can the unit's status be other than no-msi. */
function mentionsMsi(source: Buffer | undefined): boolean {
  return source !== undefined && source.includes("pci") && MSI_MENTION.test(source.toString("latin1"));
}

/** Cheap text test: can this file matter at all? Comments may match; the parse decides. */
export function mentionsCatalog(source: Buffer | undefined): boolean {
  // Every catalog name starts with "pci": one native search rules out most files.
  return source !== undefined && source.includes("pci") && MENTION.test(source.toString("latin1"));
}

/** Files parsed first in a relevant unit: the ones whose text names what the model starts from. */
function isSeed(source: Buffer | undefined): boolean {
  return source !== undefined && SEED.test(source.toString("latin1"));
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

  const listed = new Map<string, number>();
  for (const path of paths) {
    const files = await source.list(path);
    if (files.length === 0) {
      const single = await source.read(path).catch(() => undefined);
      if (single === undefined)
        throw new InputError(`path ${path}: no such file or directory under the root ${source.root}`);
      listed.set(path, single.length);
    }
    for (const file of files) listed.set(file.path, file.size);
  }
  // Makefiles of the paths' ancestors may define modules whose parts are under the paths.
  const makefiles = [...listed.keys()].filter(isMakefile);
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
  const cFiles = [...listed.keys()].filter((path) => path.endsWith(".c")).sort();
  let units = groupUnits(cFiles, definitions);
  if (options.onlyModulesOf !== undefined) {
    const touched = new Set(options.onlyModulesOf.map(normalisePath));
    units = units.filter((unit) => unit.sources.some((file) => touched.has(file)));
  }

  // Read every candidate file once; a unit matters when one of its files mentions the catalog.
  // Only the mentioning files are kept: the rest of a relevant unit is read again below.
  const candidates = [...new Set(units.flatMap((unit) => unit.sources))];
  const contents = new Map<string, Buffer>();
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
    else if (mentionsCatalog(data)) contents.set(path, data);
    progress({ phase: "scan", done: ++scanned, total: candidates.length });
  }
  const relevant = units.filter((unit) => unit.sources.some((file) => contents.has(file)));
  for (const unit of relevant) {
    for (const path of unit.sources) {
      if (contents.has(path) || unreadable.has(path)) continue;
      const data = await source.read(path).catch(() => undefined);
      if (data !== undefined) contents.set(path, data);
    }
  }

  const cache = FactsCache.open(options.cache ?? defaultCacheDir(), {
    onWarning: (message) => warnings.push(message),
  });
  const jobs = options.jobs ?? availableParallelism();
  const facts = new Map<string, FileFacts>();
  const parse = async (paths: readonly string[]): Promise<void> => {
    const misses: { path: string; source: Buffer; hash: string }[] = [];
    for (const path of paths) {
      const data = contents.get(path);
      if (data === undefined || facts.has(path)) continue;
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
    ? relevant.filter((unit) => unit.sources.some((path) => mentionsMsi(contents.get(path))))
    : relevant;
  const lexicalUnits = relevant.filter((unit) => !parsedUnits.includes(unit));
  const seeds = parsedUnits.flatMap((unit) =>
    unit.sources.filter((path) => !prefilter || isSeed(contents.get(path))),
  );
  await parse(seeds);
  for (let pending = parsedUnits; pending.length > 0;) {
    const more: string[] = [];
    const next: Unit[] = [];
    for (const unit of pending) {
      const reaching = reachingCatalog(unit.sources.map((path) => facts.get(path)));
      if (reaching.size === 0) continue;
      const calls = new RegExp(`\\b(?:${[...reaching].join("|")})\\s*\\(`);
      const found = unit.sources.filter(
        (path) => !facts.has(path) && calls.test(contents.get(path)?.toString("latin1") ?? ""),
      );
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
    const texts = unit.sources.flatMap((path) => contents.get(path)?.toString("latin1") ?? []);
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
  drivers.sort((a, b) =>
    a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : (a.driver ?? "") < (b.driver ?? "") ? -1 : 1,
  );

  const summary = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
  for (const driver of drivers) summary[driver.status]++;
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

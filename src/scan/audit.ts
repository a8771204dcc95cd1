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
import { defaultCacheDir, FactsCache } from "./cache.js";
import { isParseFailure, ParsePool } from "./pool.js";
import { lexicalSummary, moduleParsePlan, type LexicalSummary, type ParseInput } from "./lexical.js";
import { ScanIndex } from "./scan-index.js";
import { InputError, type TreeSource } from "./source.js";

/** How long the scan runs before it lets the event loop feed the workers and draw the progress. */
const SCAN_SLICE_MS = 10;

/** A build unit: the .c files of one module, or a file no Makefile names. */
export interface Unit {
  unit: string;
  module: string;
  sources: string[];
}

const CATALOG_SET: ReadonlySet<string> = new Set(CATALOG_NAMES);
const MSI_SET: ReadonlySet<string> = new Set(MSI_NAMES);
/**
 * What the scan searches for: pieces shared by the catalog's names (each hit is then read as the
 * identifier around it), and any name none of them covers. Three searches instead of twenty.
 */
const CATALOG_PIECES = ["enable_device", "irq_vectors", "able_msi"];
const CATALOG_NEEDLES: readonly string[] = [
  ...CATALOG_PIECES,
  ...CATALOG_NAMES.filter((name) => !CATALOG_PIECES.some((piece) => name.includes(piece))),
];
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

function isIdentifierChar(char: number): boolean {
  return (
    (char >= 97 && char <= 122) || (char >= 65 && char <= 90) || (char >= 48 && char <= 57) || char === 95
  );
}

/** Which catalog names the text mentions as whole identifiers: none, some, or an MSI one. */
function catalogMention(text: string): "none" | "catalog" | "msi" {
  let found: "none" | "catalog" = "none";
  for (const needle of CATALOG_NEEDLES) {
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      let start = at;
      while (start > 0 && isIdentifierChar(text.charCodeAt(start - 1))) start--;
      let end = at + needle.length;
      while (end < text.length && isIdentifierChar(text.charCodeAt(end))) end++;
      const name = text.slice(start, end);
      if (MSI_SET.has(name)) return "msi";
      if (CATALOG_SET.has(name)) found = "catalog";
    }
  }
  return found;
}

export function classifyText(source: Buffer): TextClass {
  // Every catalog and lookup name starts with "pci": one native search rules out most files. A
  // file without it can still be a seed by its PM ops: isSeedText() tells, for the files of the
  // modules that are parsed.
  if (!source.includes("pci")) return { catalog: false, msi: false, seed: false };
  const text = source.toString("latin1");
  const mention = catalogMention(text);
  const catalog = mention !== "none";
  return { catalog, msi: mention === "msi", seed: catalog || isSeedText(text) };
}

/** The text names what the model starts from besides the catalog: a device lookup, a pci_driver, PM ops. */
export function isSeedText(text: string): boolean {
  return SEED_NEEDLES.some((needle) => text.includes(needle)) && SEED.test(text);
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

  // One pass over the units: each file is read once and classified by its text; a unit that
  // mentions the catalog is then dealt with while its files are at hand. A unit whose text never
  // names an MSI allocator or release can only be no-msi: a lexical reading gives what the
  // report shows of it. The others are parsed as moduleParsePlan() says (the files that name
  // what the model starts from and those with a function that reaches the catalog, the bodies of
  // the functions that cannot reach it blanked), on the workers, while the scan goes on. With
  // the cache on, the scan index gives what it knows of unchanged files and units instead.
  const prefilter = options.prefilter !== false;
  const cacheDir = options.cache ?? defaultCacheDir();
  const index =
    cacheDir !== false && source.stat !== undefined ? ScanIndex.open(cacheDir, source.root) : undefined;
  const mainCache = FactsCache.open(cacheDir, { onWarning: (message) => warnings.push(message) });
  const candidates = new Set(units.flatMap((unit) => unit.sources));
  const classes = new Map<string, TextClass>();
  const unreadable = new Set<string>();
  const scannedPaths = new Set<string>();
  const readOrWarn = async (path: string): Promise<Buffer | undefined> => {
    try {
      const data = source.readTransient !== undefined ? source.readTransient(path) : await source.read(path);
      if (data === undefined) warnings.push(`${path}: skipped: not a regular file inside the root`);
      return data;
    } catch (error) {
      warnings.push(`${path}: skipped: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return undefined;
    }
  };

  const traits = await readTraits(source);
  const drivers: DriverReport[] = [];
  /** Files parsed or taken from the cache, for the stats. */
  const parsedPaths = new Set<string>();
  /** The model of a parsed unit, run as soon as its facts are in (its own: a file two units share may be blanked differently in each). */
  const model = (unit: Unit, unitFacts: readonly FileFacts[]): void => {
    for (const fact of unitFacts) parsedPaths.add(fact.path);
    const byPath = new Map(unitFacts.map((fact) => [fact.path, fact]));
    const files = unit.sources
      .map((path) => byPath.get(path))
      .filter((fact): fact is FileFacts => fact !== undefined);
    if (files.length === 0) return;
    drivers.push(
      ...analyseModule({ unit: unit.unit, module: unit.module, sources: unit.sources, files }, traits),
    );
  };
  let submitted = 0;
  let cacheHits = 0;
  const pool = new ParsePool(options.jobs ?? availableParallelism(), {
    cache: cacheDir,
    onParsed: (parsed) => progress({ phase: "parse", done: parsed, total: submitted }),
  });
  const parsing: Promise<void>[] = [];
  // A pool that fails (its workers cannot start) fails the audit, once the scan has stopped.
  let poolFailure: unknown;
  const parse = (unit: Unit, inputs: readonly ParseInput[]): void => {
    submitted += inputs.length;
    parsing.push(
      pool.parse(inputs).then(
        (outcome) => {
          cacheHits += outcome.cacheHits;
          warnings.push(...outcome.warnings);
          const parsed: [string, string][] = [];
          const unitFacts: FileFacts[] = [];
          outcome.results.forEach((result, at) => {
            if (isParseFailure(result)) {
              warnings.push(`${result.path}: skipped: ${result.error}`);
              return;
            }
            unitFacts.push(result);
            parsed.push([result.path, outcome.keys[at] as string]);
          });
          model(unit, unitFacts);
          if (parsed.length === outcome.results.length && outcome.warnings.length === 0) {
            index?.recordUnit(unit.unit, unit.sources, { parsed });
          }
        },
        (error: unknown) => {
          poolFailure ??= error;
        },
      ),
    );
  };
  /** The unit's facts from the cache, as the index recorded them; false when one is missing. */
  const factsFromIndex = (unit: Unit, parsed: readonly [string, string][]): boolean => {
    const found = parsed.map(([path, key]) => mainCache.get(key, path));
    if (found.some((fact) => fact === undefined)) return false;
    model(unit, found as FileFacts[]);
    cacheHits += found.length;
    index?.recordUnit(unit.unit, unit.sources, { parsed: [...parsed] });
    return true;
  };
  const lexicalDrivers = (unit: Unit, summary: LexicalSummary): void => {
    if (!summary.callsCatalog) return;
    const base = {
      unit: unit.unit,
      module: unit.module,
      files: [...unit.sources],
      status: "no-msi" as const,
      findings: [],
    };
    if (summary.drivers.length === 0) drivers.push(base);
    for (const driver of summary.drivers) drivers.push({ ...base, driver });
  };

  // The reads are synchronous underneath: without handing control back to the event loop now
  // and then, the workers' messages (ready, done) would wait for the end of the scan.
  let sliceStart = performance.now();
  try {
    for (const unit of units) {
      if (performance.now() - sliceStart > SCAN_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      // Most files are read into a reused buffer and forgotten; seeds are kept for the unit.
      const kept = new Map<string, Buffer>();
      for (const path of unit.sources) {
        if (unreadable.has(path) || scannedPaths.has(path)) continue;
        scannedPaths.add(path);
        progress({ phase: "scan", done: scannedPaths.size, total: candidates.size });
        const stat = index === undefined ? undefined : source.stat?.(path);
        const known = stat === undefined ? undefined : index?.lookup(path, stat);
        if (known !== undefined) {
          if (known.seed) classes.set(path, known);
          continue;
        }
        const data = await readOrWarn(path);
        if (data === undefined) {
          unreadable.add(path);
          continue;
        }
        const textClass = classifyText(data);
        if (stat !== undefined) index?.record(path, stat, textClass);
        if (!textClass.seed) continue;
        classes.set(path, textClass);
        kept.set(path, Buffer.from(data));
      }
      if (!unit.sources.some((path) => classes.get(path)?.catalog === true)) continue;
      const parsedUnit = !prefilter || unit.sources.some((path) => classes.get(path)?.msi === true);
      const indexed = index?.unit(unit.unit, unit.sources);
      if (indexed !== undefined) {
        if ("lexical" in indexed && !parsedUnit) {
          lexicalDrivers(unit, indexed.lexical);
          index?.recordUnit(unit.unit, unit.sources, indexed);
          continue;
        }
        if ("parsed" in indexed && parsedUnit && factsFromIndex(unit, indexed.parsed)) continue;
      }
      // The unit matters: its other files (and those shared with units before it) are read again.
      const files: { path: string; data: Buffer }[] = [];
      for (const path of unit.sources) {
        if (unreadable.has(path)) continue;
        const data = kept.get(path) ?? (await source.read(path).catch(() => undefined));
        if (data !== undefined) files.push({ path, data });
      }
      const whole = files.map(({ path, data }) => ({ path, source: data }));
      if (!prefilter) {
        parse(unit, whole);
      } else if (parsedUnit) {
        const texts = files.map(({ path, data }) => {
          const text = data.toString("utf8");
          return { path, text, seed: classes.get(path)?.seed === true || isSeedText(text) };
        });
        parse(unit, moduleParsePlan(texts) ?? whole);
      } else {
        const summary = lexicalSummary(files.map(({ data }) => data.toString("latin1")));
        lexicalDrivers(unit, summary);
        if (files.length === unit.sources.length)
          index?.recordUnit(unit.unit, unit.sources, { lexical: summary });
      }
    }
    await Promise.all(parsing);
    if (poolFailure !== undefined) throw poolFailure;
  } finally {
    pool.close();
  }
  index?.save();

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
      filesScanned: scannedPaths.size,
      filesParsed: parsedPaths.size,
      durationMs: Math.round(performance.now() - started),
      cacheHits,
    },
  };
  // Each worker warns for itself (a cache it cannot write): once is enough.
  if (warnings.length > 0) report.warnings = [...new Set(warnings)].sort();
  return report;
}

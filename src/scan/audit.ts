/**
 * The audit: walk the tree, group .c files into modules by Kbuild, scan each file's text for the
 * catalog's names, give each module that names it a lexical reading or a parse of what can
 * change a result (src/scan/lexical.ts), get FileFacts (scan index, cache or parse), run the
 * ownership model per module, assemble the report. The only stage that reads files; everything
 * after it is pure.
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import type { AnalyzeOptions } from "../analyze.js";
import { parseKbuild, unitName, type ModuleDefinition } from "../kbuild/makefile.js";
import { chooseParser } from "../parse/backend.js";
import type { TreeEra } from "../era/core.js";
import { readEra } from "../era/read.js";
import { analyseModule, type TreeTraits } from "../model/ownership.js";
import type { FileFacts } from "../parse/facts.js";
import { compareDrivers, summarize } from "../report/summary.js";
import { REPORT_SCHEMA, type DriverReport, type EraDecision, type Report } from "../report/types.js";
import { TOOL_NAME, TOOL_VERSION } from "../version.js";
import { defaultCacheDir, FactsCache } from "./cache.js";
import { classifyText, type TextClass } from "./classify.js";
import type { LexicalSummary, ParseInput } from "./lexical.js";
import { receivePreparation } from "./parse-worker.js";
import { isParseFailure, ParsePool } from "./pool.js";
import { prepareUnit, type Preparation, type UnitFile } from "./prepare.js";
import { ScanIndex } from "./scan-index.js";
import { InputError, type FileStat, type TreeSource } from "./source.js";

/** How long the audit runs before it lets the event loop feed the workers and draw the progress. */
const SCAN_SLICE_MS = 10;
/** Files per scan message, and how many chunks of units are scanned ahead of the one dealt with. */
const SCAN_CHUNK_FILES = 512;
const SCAN_LOOKAHEAD = 2;

/** A build unit: the .c files of one module, or a file no Makefile names. */
export interface Unit {
  unit: string;
  module: string;
  sources: string[];
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

export async function readTraits(
  source: TreeSource,
  known?: TreeEra,
): Promise<TreeTraits & { kernelVersion: string | null; eraDecidedBy: Omit<EraDecision, "era"> }> {
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
  const { era, managedAllocators, ...eraDecidedBy } = known ?? (await readEra(source));
  return { kernelVersion, era, eraDecidedBy, pcimAllocIrqVectors: managedAllocators };
}

/** The units the audit covers: the paths' .c files grouped by Kbuild, then filtered as asked. */
async function listUnits(
  source: TreeSource,
  paths: readonly string[],
  options: AnalyzeOptions,
): Promise<Unit[]> {
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
  return units;
}

export async function analyze(source: TreeSource, options: AnalyzeOptions = {}): Promise<Report> {
  const started = performance.now();
  const paths = (options.paths ?? ["drivers"]).map(normalisePath);
  const warnings: string[] = [];
  const progress = options.onProgress ?? (() => undefined);
  const cacheDir = options.cache ?? defaultCacheDir();
  const index =
    cacheDir !== false && source.stat !== undefined ? ScanIndex.open(cacheDir, source.root) : undefined;
  let submitted = 0;
  const pool = new ParsePool(options.jobs ?? availableParallelism(), {
    cache: cacheDir,
    parser: options.parser ?? (await chooseParser()),
    onParsed: (parsed) => progress({ phase: "parse", done: parsed, total: submitted }),
  });
  // With nothing known of the tree, every file is read on the workers: they start while the
  // tree is listed, not after.
  if (index === undefined || index.isEmpty()) pool.startAll();
  let units: Unit[];
  try {
    units = await listUnits(source, paths, options);
  } catch (error) {
    pool.close();
    throw error;
  }

  // One pass over the units: each file is read once and classified by its text; a unit that
  // mentions the catalog is prepared while its files are at hand (prepareUnit(), on the worker
  // that read them). A unit whose text never names an MSI allocator or release can only be
  // no-msi: a lexical reading gives what the report shows of it. The others are parsed as
  // moduleParsePlan() says (the files that name what the model starts from and those with a
  // function that reaches the catalog, the rest of them left out), on the workers, while the
  // scan goes on. With the cache on, the scan index gives what it knows of unchanged files and
  // units instead.
  const prefilter = options.prefilter !== false;
  const mainCache = FactsCache.open(cacheDir, { onWarning: (message) => warnings.push(message) });
  const candidates = new Set(units.flatMap((unit) => unit.sources));
  const classes = new Map<string, TextClass>();
  const unreadable = new Set<string>();
  /** Files without "pci": a lexical reading skips them without reading them again. */
  const withoutPci = new Set<string>();
  const scannedPaths = new Set<string>();
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

  const traits = await readTraits(source, options.era);
  const drivers: DriverReport[] = [];
  /** Files parsed or taken from the cache, for the stats. */
  const parsedPaths = new Set<string>();
  /**
   * The model of a parsed unit, run as soon as its facts are in, on its own facts: a file two
   * units share may be blanked differently in each.
   */
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
  let cacheHits = 0;
  const parsing: Promise<void>[] = [];
  // A pool that fails (its workers cannot start) fails the audit, once the scan has stopped.
  let poolFailure: unknown;
  /** `complete`: nothing of the unit was left out with a warning, so the index may record it. */
  const parse = (unit: Unit, inputs: readonly ParseInput[], complete = true): void => {
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
          if (complete && parsed.length === outcome.results.length && outcome.warnings.length === 0) {
            if (prefilter) index?.recordUnit(unit.unit, unit.sources, { parsed });
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

  /** What the scan gives of a chunk: the units it prepared, and the bytes it kept for the others. */
  interface ScannedChunk {
    prepared: Map<Unit, Preparation>;
    /** The files that name the catalog, of the units not prepared. */
    kept: Map<string, Buffer>;
  }

  const apply = (unit: Unit, preparation: Preparation): void => {
    if ("lexical" in preparation) {
      lexicalDrivers(unit, preparation.lexical);
      index?.recordUnit(unit.unit, unit.sources, { lexical: preparation.lexical });
    } else {
      warnings.push(...preparation.warnings);
      parse(unit, preparation.parse, preparation.warnings.length === 0);
    }
  };

  /** What to do with a unit once its files are scanned: nothing, a lexical reading, or the parse. */
  const dealWith = async (unit: Unit, scanned: ScannedChunk): Promise<void> => {
    if (!unit.sources.some((path) => classes.get(path)?.catalog === true)) return;
    const parsedUnit = !prefilter || unit.sources.some((path) => classes.get(path)?.msi === true);
    // What the index records is what the prefilter made of a unit: a whole parse (the reference
    // the prefilter is tested against) neither reads nor records it.
    const indexed = prefilter ? index?.unit(unit.unit, unit.sources) : undefined;
    if (indexed !== undefined) {
      if ("lexical" in indexed && !parsedUnit) {
        lexicalDrivers(unit, indexed.lexical);
        index?.recordUnit(unit.unit, unit.sources, indexed);
        return;
      }
      if ("parsed" in indexed && parsedUnit && factsFromIndex(unit, indexed.parsed)) return;
    }
    const prepared = scanned.prepared.get(unit);
    if (prepared !== undefined) {
      apply(unit, prepared);
      return;
    }
    // Not prepared by the scan (a file shared with a unit before it, a source not on disk, a
    // whole parse): its files are read again, all of them for a parse, those with "pci" for a
    // lexical reading.
    const files: UnitFile[] = [];
    for (const path of unit.sources) {
      if (unreadable.has(path) || (!parsedUnit && withoutPci.has(path))) continue;
      const data = scanned.kept.get(path) ?? (await source.read(path).catch(() => undefined));
      const textClass = classes.get(path) ?? { pci: !withoutPci.has(path), catalog: false, msi: false };
      if (data !== undefined) files.push({ path, data, textClass });
    }
    if (!prefilter)
      parse(
        unit,
        files.map(({ path, data }) => ({ path, source: data })),
      );
    else {
      const preparation = prepareUnit(files);
      if (preparation !== undefined) apply(unit, preparation);
    }
  };

  // The units go through the scan in chunks: a chunk's files are read, classified and its units
  // prepared on the workers (or read here, for a source with no files on disk) while the units
  // before it are dealt with. What comes back is each unit's preparation, and the bytes of the
  // files that name the catalog in the units the worker could not prepare alone (a file shared
  // with a unit scanned before).
  const chunks: Unit[][] = [];
  for (let first = 0; first < units.length;) {
    let end = first;
    let files = 0;
    while (end < units.length && files < SCAN_CHUNK_FILES) files += units[end++]?.sources.length ?? 0;
    chunks.push(units.slice(first, end));
    first = end;
  }
  let scannedCount = 0;
  const scanChunk = async (chunk: readonly Unit[]): Promise<ScannedChunk> => {
    const scanned: ScannedChunk = { prepared: new Map(), kept: new Map() };
    const toRead: { path: string; file?: string; stat?: FileStat }[] = [];
    /** The units whose files are all read in this chunk, as [first, count] in toRead. */
    const spans: [number, number][] = [];
    const spanned: Unit[] = [];
    for (const unit of chunk) {
      const first = toRead.length;
      for (const path of unit.sources) {
        if (scannedPaths.has(path)) continue;
        scannedPaths.add(path);
        // A file on disk the index does not know is read without asking for its metadata
        // first: the scan worker takes it from the file it reads.
        const stat =
          index !== undefined && (index.knows(path) || source.localPath === undefined)
            ? source.stat?.(path)
            : undefined;
        const known = stat === undefined ? undefined : index?.lookup(path, stat);
        if (known !== undefined) {
          if (known.catalog) classes.set(path, known);
          if (!known.pci) withoutPci.add(path);
          scannedCount += 1;
          continue;
        }
        if (source.localPath === undefined) {
          toRead.push(stat === undefined ? { path } : { path, stat });
          continue;
        }
        const file = source.localPath(path);
        if (file === undefined) {
          warnings.push(`${path}: skipped: not a regular file inside the root`);
          unreadable.add(path);
          scannedCount += 1;
        } else {
          // The worker reports the metadata of the file it reads: that is what the index records.
          toRead.push({ path, file });
        }
      }
      if (prefilter && source.localPath !== undefined && toRead.length - first === unit.sources.length) {
        spans.push([first, unit.sources.length]);
        spanned.push(unit);
      }
    }
    const found = (path: string, stat: FileStat | undefined, textClass: TextClass): void => {
      if (stat !== undefined) index?.record(path, stat, textClass);
      if (textClass.catalog) classes.set(path, textClass);
      if (!textClass.pci) withoutPci.add(path);
    };
    if (source.localPath !== undefined) {
      const outcome = await pool.scan({
        files: toRead.map(({ file }) => file as string),
        paths: toRead.map(({ path }) => path),
        units: spans,
      });
      outcome.classes.forEach((result, at) => {
        const { path } = toRead[at] as { path: string };
        if ("error" in result) {
          warnings.push(`${path}: skipped: ${result.error}`);
          unreadable.add(path);
          return;
        }
        found(path, result.stat, { pci: result.pci, catalog: result.catalog, msi: result.msi });
      });
      for (const [at, start, end] of outcome.kept) {
        scanned.kept.set(
          (toRead[at] as { path: string }).path,
          Buffer.from(outcome.bytes, start, end - start),
        );
      }
      outcome.prepared.forEach((message, at) => {
        if (message !== null)
          scanned.prepared.set(spanned[at] as Unit, receivePreparation(message, outcome.bytes));
      });
    } else {
      for (const { path, stat } of toRead) {
        const data = await readOrWarn(path);
        if (data === undefined) {
          unreadable.add(path);
          continue;
        }
        const textClass = classifyText(data);
        found(path, stat, textClass);
        if (textClass.catalog) scanned.kept.set(path, data);
      }
    }
    scannedCount += toRead.length;
    progress({ phase: "scan", done: scannedCount, total: candidates.size });
    return scanned;
  };

  // The scan of the next chunks is under way while a chunk's units are dealt with; the event
  // loop gets control now and then, so that the workers' messages are not kept waiting.
  const scanning: (Promise<ScannedChunk> | undefined)[] = [];
  let sliceStart = performance.now();
  try {
    for (const [at, chunk] of chunks.entries()) {
      while (scanning.length < Math.min(chunks.length, at + SCAN_LOOKAHEAD)) {
        const next = scanChunk(chunks[scanning.length] as Unit[]);
        // Failures surface when the chunk is awaited.
        next.catch(() => undefined);
        scanning.push(next);
      }
      const scanned = await (scanning[at] as Promise<ScannedChunk>);
      scanning[at] = undefined;
      for (const unit of chunk) {
        if (performance.now() - sliceStart > SCAN_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
        await dealWith(unit, scanned);
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
      era: traits.era,
      eraDecidedBy: traits.eraDecidedBy,
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

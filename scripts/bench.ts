/**
 * `npm run bench`: the full-tree audit of KERNEL_TREE's drivers/ against the seed's grep
 * pipelines (and Coccinelle's spatch when installed), in alternating runs from this one process,
 * printing medians, ratios and the audit's peak memory. Runs the bundled CLI, as users do; the
 * cold audit also with the WebAssembly parser forced (MSI_OWNERSHIP_PARSER=wasm), the fallback
 * for machines no bundled addon fits.
 *
 *   KERNEL_TREE=$(scripts/install-kernel-tree.sh) npm run bench [-- --rounds 5 --jobs 2]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    jobs: { type: "string", default: String(availableParallelism()) },
  },
});
const rounds = Number(values.rounds);
const tree = process.env.KERNEL_TREE;
if (tree === undefined || !existsSync(join(tree, "drivers"))) {
  process.stderr.write(
    "bench: set KERNEL_TREE to an unpacked kernel tree (scripts/install-kernel-tree.sh)\n",
  );
  process.exit(2);
}
const repo = new URL("..", import.meta.url).pathname;
const cli = join(repo, "dist/cli.js");
const hasTime = existsSync("/usr/bin/time");
const hasSpatch = spawnSync("sh", ["-c", "command -v spatch"]).status === 0;

interface Run {
  seconds: number;
  peakMb?: number;
}

/** Runs a command, timing it; with /usr/bin/time, also its peak resident memory. */
function run(command: string, args: string[], cwd = repo, env: NodeJS.ProcessEnv = process.env): Run {
  const timed = hasTime ? ["/usr/bin/time", ["-f", "%M", command, ...args]] : [command, args];
  const started = performance.now();
  const result = spawnSync(timed[0] as string, timed[1] as string[], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  }
  const peakKb = hasTime ? Number(result.stderr.trim().split("\n").at(-1)) : NaN;
  return Number.isFinite(peakKb) ? { seconds, peakMb: peakKb / 1024 } : { seconds };
}

const median = (numbers: number[]): number => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const audit = (cache: string): string[] => [
  cli,
  "audit",
  "--root",
  tree,
  "--jobs",
  values.jobs,
  "--cache",
  cache,
  "--format",
  "json",
  "--output",
  join(tmpdir(), "msi-bench-report.json"),
];
const warmCache = mkdtempSync(join(tmpdir(), "msi-bench-warm-"));
run(process.execPath, audit(warmCache)); // prime the warm cache and the page cache
run("bash", [join(repo, "bench/grep-pipelines.sh"), tree]);

const wasm = { ...process.env, MSI_OWNERSHIP_PARSER: "wasm" };
const samples: Record<string, Run[]> = { grep: [], cold: [], coldWasm: [], warm: [], spatch: [] };
for (let round = 1; round <= rounds; round++) {
  samples.grep?.push(run("bash", [join(repo, "bench/grep-pipelines.sh"), tree]));
  const coldCache = mkdtempSync(join(tmpdir(), "msi-bench-cold-"));
  samples.cold?.push(run(process.execPath, audit(coldCache)));
  rmSync(coldCache, { recursive: true, force: true });
  const coldWasmCache = mkdtempSync(join(tmpdir(), "msi-bench-cold-wasm-"));
  samples.coldWasm?.push(run(process.execPath, audit(coldWasmCache), repo, wasm));
  rmSync(coldWasmCache, { recursive: true, force: true });
  samples.warm?.push(run(process.execPath, audit(warmCache)));
  if (hasSpatch && round <= 2) {
    samples.spatch?.push(
      run(
        "spatch",
        ["--sp-file", join(repo, "bench/seed.cocci"), "--dir", "drivers", "--very-quiet", "-j", values.jobs],
        tree,
      ),
    );
  }
  process.stderr.write(`bench: round ${round}/${rounds} done\n`);
}
rmSync(warmCache, { recursive: true, force: true });

const grep = median(samples.grep?.map((sample) => sample.seconds) ?? []);
const cpu = cpus()[0]?.model ?? "unknown CPU";
const lines = [
  `machine: ${availableParallelism()} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; tree: ${tree}; ${rounds} alternating rounds, --jobs ${values.jobs}`,
  "",
  "| run | median | vs grep | peak memory |",
  "| --- | ---: | ---: | ---: |",
];
for (const [name, label] of [
  ["grep", "seed's three grep pipelines"],
  ["cold", "msi-ownership audit, cold cache"],
  ["coldWasm", "msi-ownership audit, cold cache, WebAssembly parser"],
  ["warm", "msi-ownership audit, warm cache"],
  ["spatch", "Coccinelle spatch, per-file patch"],
] as const) {
  const runs = samples[name] ?? [];
  if (runs.length === 0) continue;
  const seconds = median(runs.map((sample) => sample.seconds));
  const peaks = runs.flatMap((sample) => (sample.peakMb === undefined ? [] : [sample.peakMb]));
  const peak = name === "grep" || peaks.length === 0 ? "" : `${Math.round(Math.max(...peaks))} MB`;
  lines.push(`| ${label} | ${seconds.toFixed(2)} s | ${(seconds / grep).toFixed(2)}x | ${peak} |`);
}
process.stdout.write(`${lines.join("\n")}\n`);

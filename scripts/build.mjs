#!/usr/bin/env node
/**
 * Bundles the CLI, the action and the Danger plugin into dist/ (CommonJS, Node 20+).
 *
 *   node scripts/build.mjs [--outdir DIR]
 *
 * The bundles carry tree-sitter's native addons for Linux, macOS and Windows (x64, arm64) inside
 * themselves, so `dist/cli.js` copied alone runs there with plain `node`; the WebAssembly
 * fallback for other machines needs dist/tree-sitter.wasm and dist/tree-sitter-c.wasm beside it. The output is byte-for-byte
 * reproducible: CI rebuilds and fails when the committed dist/ differs (scripts/check-dist.sh).
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { deflateSync } from "fflate";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Platforms whose addons go into the bundles: GitHub's runners and the laptops of the people who
 * run the CLI. Elsewhere the bundles parse with web-tree-sitter (src/parse/backend.ts).
 */
const PLATFORMS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "win32-x64", "win32-arm64"];

/** Our own linux builds of tree-sitter (scripts/build-native.sh); the package's prebuilds elsewhere. */
const OWN_BUILDS = new Set(["linux-x64", "linux-arm64"]);

/** The web-tree-sitter fallback's runtime and grammar, copied beside the bundles. */
const WASM_FILES = [
  "node_modules/web-tree-sitter/tree-sitter.wasm",
  "node_modules/tree-sitter-c/tree-sitter-c.wasm",
];

/** The bundles: the entry module, and whether it is a program (shebang) or a library (exports). */
const BUNDLES = [
  { out: "cli.js", entry: "src/bin.ts", program: true },
  { out: "index.js", entry: "src/github/main-entry.ts", program: true },
  { out: "danger.js", entry: "src/danger/index.ts", program: false },
];

/**
 * The loaders of the two packages, rewritten to load the embedded addons. The replaced text is
 * matched exactly: when a package update changes it, the build fails here rather than producing
 * a bundle that looks for node_modules at run time.
 */
const NATIVE_PACKAGES = [
  {
    name: "tree-sitter",
    loader: "node_modules/tree-sitter/index.js",
    // The package's linux prebuilds need a newer libstdc++ than Debian 12 has (build-native.sh).
    addon: (platform) =>
      OWN_BUILDS.has(platform)
        ? `native/prebuilds/${platform}/tree-sitter.node`
        : `node_modules/tree-sitter/prebuilds/${platform}/tree-sitter.node`,
    rewrites: [
      [/typeof process\.versions\.bun === "string" \?[\s\S]*?require\('node-gyp-build'\)\(__dirname\)/, 1],
    ],
  },
  {
    name: "tree-sitter-c",
    loader: "node_modules/tree-sitter-c/bindings/node/index.js",
    addon: (platform) => `node_modules/tree-sitter-c/prebuilds/${platform}/tree-sitter-c.node`,
    rewrites: [
      [
        /typeof process\.versions\.bun === "string"\s*(?:\/\/[^\n]*\n\s*)?\?[\s\S]*?require\("node-gyp-build"\)\(root\)/,
        1,
      ],
      // node-types.json (1 MB) describes the grammar for tooling; the parser never reads it.
      [
        /try \{\s*module\.exports\.nodeTypeInfo = require\("\.\.\/\.\.\/src\/node-types\.json"\);\s*\} catch \(_\) \{\}/,
        0,
      ],
    ],
  },
];

const NATIVE_NAMESPACE = "msi-ownership-native";

function parseArguments(argv) {
  let outdir = join(root, "dist");
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] === "--outdir" && argv[index + 1] !== undefined) {
      outdir = resolve(argv[++index]);
    } else {
      throw new Error(`unknown argument ${argv[index]} (usage: node scripts/build.mjs [--outdir DIR])`);
    }
  }
  return { outdir };
}

/** native/prebuilds/ must be built from the installed tree-sitter: its JS and C++ go together. */
function checkNativeVersions() {
  const built = JSON.parse(readFileSync(join(root, "native/prebuilds/versions.json"), "utf8"));
  const installed = JSON.parse(
    readFileSync(join(root, "node_modules/tree-sitter/package.json"), "utf8"),
  ).version;
  if (built["tree-sitter"] !== installed) {
    throw new Error(
      `native/prebuilds/ holds tree-sitter ${built["tree-sitter"]} but ${installed} is installed: ` +
        "run scripts/build-native.sh and commit native/prebuilds/",
    );
  }
}

/**
 * The facts cache keys include a digest of the code the facts come from (src/scan/cache.ts
 * computes the same from the sources when unbundled).
 */
function extractorDigest() {
  const parseDir = join(root, "src/parse");
  const files = [
    ...readdirSync(parseDir)
      .filter((name) => name.endsWith(".ts"))
      .sort()
      .map((name) => `parse/${name}`),
    "catalog.ts",
    // The scan index keeps text classes and lexical readings: the code they come from.
    "scan/classify.ts",
    "scan/lexical.ts",
    "scan/prepare.ts",
  ];
  const hash = createHash("sha256");
  for (const file of files) {
    hash
      .update(file)
      .update("\0")
      .update(readFileSync(join(root, "src", file)))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

/** The virtual module that stands in for a package's node-gyp-build loader. */
function embeddedAddonModule(pkg) {
  const payloads = {};
  for (const platform of PLATFORMS) {
    const bytes = readFileSync(join(root, pkg.addon(platform)));
    payloads[platform] = {
      sha256: createHash("sha256").update(bytes).digest("hex"),
      // fflate is plain JavaScript, so its output depends on nothing but its version (zlib's
      // output can vary with the CPU features it detects): the bundle stays reproducible.
      deflated: Buffer.from(deflateSync(bytes, { level: 9, mem: 12 })).toString("base64"),
    };
  }
  return [
    `const { loadEmbeddedAddon } = require("./src/native/embedded-addon.ts");`,
    `module.exports = loadEmbeddedAddon(${JSON.stringify(pkg.name)}, ${JSON.stringify(payloads, null, 1)});`,
    "",
  ].join("\n");
}

function embeddedAddonsPlugin() {
  const modules = new Map();
  return {
    name: "embedded-native-addons",
    setup(esbuild) {
      for (const pkg of NATIVE_PACKAGES) {
        const loaderPath = join(root, pkg.loader);
        const escaped = loaderPath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        esbuild.onLoad({ filter: new RegExp(`^${escaped}$`) }, () => {
          let contents = readFileSync(loaderPath, "utf8");
          for (const [pattern, useVirtual] of pkg.rewrites) {
            if (!pattern.test(contents)) {
              throw new Error(
                `${pkg.loader} no longer contains ${pattern}: update NATIVE_PACKAGES in scripts/build.mjs`,
              );
            }
            contents = contents.replace(
              pattern,
              useVirtual ? `require("${NATIVE_NAMESPACE}:${pkg.name}")` : "",
            );
          }
          return { contents, loader: "js", resolveDir: dirname(loaderPath) };
        });
      }
      esbuild.onResolve({ filter: new RegExp(`^${NATIVE_NAMESPACE}:`) }, (args) => ({
        path: args.path.slice(NATIVE_NAMESPACE.length + 1),
        namespace: NATIVE_NAMESPACE,
      }));
      esbuild.onLoad({ filter: /.*/, namespace: NATIVE_NAMESPACE }, (args) => {
        const pkg = NATIVE_PACKAGES.find((candidate) => candidate.name === args.path);
        if (pkg === undefined) {
          throw new Error(`no embedded addon named ${args.path}`);
        }
        if (!modules.has(pkg.name)) {
          modules.set(pkg.name, embeddedAddonModule(pkg));
        }
        return { contents: modules.get(pkg.name), loader: "js", resolveDir: root };
      });
    },
  };
}

/**
 * Every bundle starts by asking whether it was started as a parse worker (src/scan/pool.ts starts
 * workers from the bundle file itself); only otherwise does it load its real entry.
 */
function wrapperEntry(bundle) {
  const entry = `./${bundle.entry}`;
  return [
    `const { isParseWorker } = require("./src/scan/worker-mark.ts");`,
    `if (isParseWorker()) {`,
    `  require("./src/scan/parse-worker.ts").runParseWorker();`,
    `} else {`,
    bundle.program
      ? `  require(${JSON.stringify(entry)});`
      : `  module.exports = require(${JSON.stringify(entry)});`,
    `}`,
    "",
  ].join("\n");
}

async function main() {
  const { outdir } = parseArguments(process.argv.slice(2));
  checkNativeVersions();
  mkdirSync(outdir, { recursive: true });
  const plugin = embeddedAddonsPlugin();
  const failed = [];
  const digest = extractorDigest();
  for (const bundle of BUNDLES) {
    if (!existsSync(join(root, bundle.entry))) {
      process.stderr.write(
        `build: warning: ${bundle.entry} does not exist yet, dist/${bundle.out} not built\n`,
      );
      continue;
    }
    const outfile = join(outdir, bundle.out);
    let result;
    try {
      result = await build({
        absWorkingDir: root,
        stdin: {
          contents: wrapperEntry(bundle),
          resolveDir: root,
          sourcefile: `${bundle.out}-entry.cjs`,
          loader: "js",
        },
        outfile,
        bundle: true,
        format: "cjs",
        platform: "node",
        target: "node20",
        // Bundled code may use import.meta.url (ESM sources): it becomes the bundle's own URL.
        define: {
          MSI_OWNERSHIP_BUNDLE: "true",
          MSI_OWNERSHIP_EXTRACTOR_DIGEST: JSON.stringify(digest),
          "import.meta.url": "__msiOwnershipBundleUrl",
        },
        banner: {
          js: [
            ...(bundle.program ? ["#!/usr/bin/env node"] : []),
            `var __msiOwnershipBundleUrl = require("node:url").pathToFileURL(__filename).href;`,
          ].join("\n"),
        },
        // import.meta.resolve() appears only on the unbundled (tsx) path of src/scan/pool.ts.
        logOverride: { "empty-import-meta": "silent" },
        legalComments: "eof",
        charset: "utf8",
        plugins: [plugin],
        logLevel: "warning",
        metafile: true,
      });
    } catch {
      // esbuild has printed the errors; build the other bundles anyway, then fail.
      failed.push(bundle.out);
      continue;
    }
    // A program is run by name (`msi-ownership`, `./dist/cli.js`): it stays executable.
    if (bundle.program) chmodSync(outfile, 0o755);
    const size = result.metafile.outputs[relative(root, outfile)]?.bytes ?? 0;
    process.stderr.write(`build: ${relative(root, outfile) || outfile} ${(size / 1024).toFixed(0)} KiB\n`);
  }
  for (const file of WASM_FILES) copyFileSync(join(root, file), join(outdir, basename(file)));
  // The package is ESM ("type": "module"); the bundles are CommonJS.
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
  if (failed.length > 0) {
    throw new Error(`failed to build ${failed.join(", ")}`);
  }
}

main().catch((error) => {
  process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

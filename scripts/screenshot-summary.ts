/**
 * `npm run screenshot`: the README's picture of the conversion summary as GitHub renders it.
 * Audits KERNEL_TREE with `--format markdown` (the project's own CLI), renders the Markdown to
 * HTML with GitHub's stylesheet and Mermaid for the ```mermaid pie, and screenshots the top of
 * the page (counts, chart, the first drivers) in Debian's headless Chromium. Offline: every
 * script and stylesheet comes from node_modules. Not part of `npm test`: it needs Chromium.
 *
 *   KERNEL_TREE=$(scripts/install-kernel-tree.sh) npm run screenshot [-- --output docs/summary.png]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { Marked, type Tokens } from "marked";
import { chromium } from "playwright-core";

const { values } = parseArgs({
  options: {
    output: { type: "string", default: "docs/summary.png" },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" },
    "link-base": { type: "string", default: "https://github.com/ORG/linux/blob/HEAD" },
    width: { type: "string", default: "1000" },
    height: { type: "string", default: "1400" },
  },
});

const repo = new URL("..", import.meta.url).pathname;
const require = createRequire(import.meta.url);
const width = Number(values.width);
const height = Number(values.height);
const output = join(process.cwd(), values.output);

function fail(message: string): never {
  process.stderr.write(`screenshot-summary: ${message}\n`);
  process.exit(2);
}

const tree = process.env.KERNEL_TREE;
if (tree === undefined || !existsSync(join(tree, "drivers"))) {
  fail("set KERNEL_TREE to an unpacked kernel tree (scripts/install-kernel-tree.sh)");
}
if (!existsSync(values.chromium)) {
  fail(`no Chromium at ${values.chromium} (apt-get install chromium, or set CHROMIUM_PATH)`);
}
if (!(width > 0 && height > 0)) fail(`--width and --height must be positive numbers`);

/** The summary exactly as the CLI prints it, so the picture shows what users get. */
function auditMarkdown(root: string): string {
  const scratch = mkdtempSync(join(tmpdir(), "msi-summary-"));
  const file = join(scratch, "summary.md");
  try {
    const result = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repo, "src/bin.ts"),
        "audit",
        "--root",
        root,
        "--format",
        "markdown",
        "--fail-on",
        "never",
        "--link-base",
        values["link-base"],
        "--output",
        file,
      ],
      { cwd: repo, stdio: ["ignore", "inherit", "inherit"] },
    );
    if (result.status !== 0) fail(`the audit of ${root} exited with ${result.status ?? result.signal}`);
    return readFileSync(file, "utf8");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

/** GitHub turns a ```mermaid block into a diagram; marked would leave it a code block. */
function summaryHtml(markdown: string, css: string): string {
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      code(token: Tokens.Code): string | false {
        return token.lang === "mermaid" ? `<pre class="mermaid">${escapeHtml(token.text)}</pre>\n` : false;
      },
    },
  });
  const body = marked.parse(markdown, { async: false });
  // The page box of a GitHub comment or job summary: the readme of github-markdown-css says so.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<style>${css}</style>
<style>
  body { margin: 0; background: #fff; }
  .markdown-body { box-sizing: border-box; min-width: 200px; max-width: 980px; margin: 0 auto; padding: 32px; }
  .markdown-body pre.mermaid { background: transparent; text-align: center; }
</style></head>
<body><article class="markdown-body">${body}</article></body></html>`;
}

const markdown = auditMarkdown(tree);
const css = readFileSync(require.resolve("github-markdown-css/github-markdown-light.css"), "utf8");
const mermaidBundle = require.resolve("mermaid/dist/mermaid.min.js");

// launch() starts Chromium on a new, empty profile of Playwright's own, removed at close().
const browser = await chromium.launch({
  executablePath: values.chromium,
  // The machine's network is closed: Chromium's background connections only fail, slowly.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
  // Nothing on the page may reach the network: the links are only drawn, never followed.
  await page.route("**/*", (route) => route.abort());
  await page.setContent(summaryHtml(markdown, css), { waitUntil: "load" });
  await page.addScriptTag({ path: mermaidBundle });
  const rendered = await page.evaluate(`(async () => {
    mermaid.initialize({ startOnLoad: false, theme: "default", securityLevel: "strict" });
    await mermaid.run({ querySelector: "pre.mermaid" });
    return document.querySelectorAll("pre.mermaid svg").length;
  })()`);
  if (rendered !== 1) fail(`expected one Mermaid chart in the summary, drew ${String(rendered)}`);
  // End the picture under the last table row that fits whole, not through the middle of one.
  const clipHeight = Number(
    await page.evaluate(`(() => {
      const limit = Math.min(${height}, document.documentElement.scrollHeight);
      const bottoms = [...document.querySelectorAll("tr")]
        .map((row) => Math.ceil(row.getBoundingClientRect().bottom) + 1)
        .filter((bottom) => bottom <= limit);
      return bottoms.length > 0 && limit < document.documentElement.scrollHeight ? Math.max(...bottoms) : limit;
    })()`),
  );
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output, clip: { x: 0, y: 0, width, height: clipHeight } });
} finally {
  await browser.close();
}

const kb = Math.round(statSync(output).size / 1024);
process.stdout.write(`${relative(process.cwd(), output) || output} (${kb} KB)\n`);

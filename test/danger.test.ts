/**
 * The Danger plugin with Danger's globals faked: what it posts for hand-made reports and diffs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type * as Declared from "msi-ownership/danger";
import { msiOwnership, optionsFromEnv } from "../src/danger/index.js";
import {
  gitlabLineLink,
  GITLAB,
  headLinesOfDiff,
  isFullAudit,
  MAIN_COMMENT_BUDGET,
  planReview,
  suggestedLine,
  suggestionBlock,
  withinMainComment,
  type DiffChunk,
  type ReviewInput,
  type Violation,
} from "../src/danger/review.js";
import {
  REPORT_SCHEMA,
  STATUSES,
  type DriverReport,
  type Edit,
  type Finding,
  type Report,
  type Status,
} from "../src/report/types.js";

// Typecheck-time: the package's hand-written types (resolved through "exports", as users get
// them) and the source agree, in both directions.
export const declaredTypesMatch: [
  typeof Declared.msiOwnership,
  typeof msiOwnership,
  typeof Declared.optionsFromEnv,
  typeof optionsFromEnv,
] = [
  msiOwnership,
  msiOwnership as typeof Declared.msiOwnership,
  optionsFromEnv,
  optionsFromEnv as typeof Declared.optionsFromEnv,
];

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FILE = "drivers/net/skel/skel_main.c";

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    ruleId: "msi-double-release",
    severity: "error",
    file: FILE,
    line: 41,
    column: 2,
    message: "pci_free_irq_vectors() on the remove path releases vectors devres releases again",
    evidence: [
      {
        file: FILE,
        line: 19,
        column: 8,
        role: "managed-enable",
        function: "skel_probe",
        text: "pcim_enable_device(pdev)",
      },
      {
        file: FILE,
        line: 41,
        column: 2,
        role: "release",
        function: "skel_remove",
        text: "pci_free_irq_vectors(pdev)",
      },
    ],
    fingerprint: "f1",
    fix: {
      description: "Remove pci_free_irq_vectors().",
      edits: [{ file: FILE, startLine: 41, startColumn: 1, endLine: 42, endColumn: 1, replacement: "" }],
    },
    new: true,
    ...overrides,
  };
}

function driver(overrides: Partial<DriverReport> = {}): DriverReport {
  return {
    unit: "drivers/net/skel",
    module: "skel",
    files: [FILE],
    status: "double-release",
    findings: [finding()],
    ...overrides,
  };
}

function report(drivers: DriverReport[]): Report {
  const summary = Object.fromEntries(STATUSES.map((status) => [status, 0])) as Record<Status, number>;
  for (const entry of drivers) summary[entry.status] += 1;
  return {
    schema: REPORT_SCHEMA,
    tool: { name: "msi-ownership", version: "0.1.0" },
    tree: { root: ".", kernelVersion: "6.12.117", pcimAllocIrqVectors: false },
    drivers,
    summary,
    stats: { filesScanned: 1, filesParsed: 1, durationMs: 1 },
  };
}

/** A diff of FILE whose head side shows lines 38..42, line 41 being the added release. */
const CHUNKS: DiffChunk[] = [
  {
    changes: [
      { type: "normal", ln2: 38, content: " {" },
      { type: "normal", ln2: 39, content: "\tstruct skel_dev *skel = pci_get_drvdata(pdev);" },
      { type: "normal", ln2: 40, content: " " },
      { type: "del", ln: 40, content: "-\tskel_stop(skel);" },
      { type: "add", ln: 41, content: "+\tpci_free_irq_vectors(pdev);" },
      { type: "normal", ln2: 42, content: " }" },
      { type: "normal", ln2: 42, content: "\\ No newline at end of file" },
    ],
  },
];

function input(overrides: Partial<ReviewInput> = {}): ReviewInput {
  return {
    report: report([driver()]),
    changedFiles: new Set([FILE]),
    diffLines: new Map([[FILE, headLinesOfDiff(CHUNKS)]]),
    link: (file, line) => `https://github.com/acme/linux/blob/abc123/${file}#L${line}`,
    options: { failOn: "new", inline: true, suggestions: true },
    ...overrides,
  };
}

describe("headLinesOfDiff", () => {
  it("keeps added and context lines by head line number, without deletions or the EOF marker", () => {
    const lines = headLinesOfDiff(CHUNKS);
    assert.deepEqual([...lines.keys()], [38, 39, 40, 41, 42]);
    assert.equal(lines.get(41), "\tpci_free_irq_vectors(pdev);");
    assert.equal(lines.get(42), "}");
  });
});

describe("suggestedLine", () => {
  const text = "\tnvec = pci_alloc_irq_vectors(pdev, 1, 8, PCI_IRQ_MSIX);";
  const edit = (overrides: Partial<Edit>): Edit => ({
    file: FILE,
    startLine: 28,
    startColumn: 9,
    endLine: 28,
    endColumn: 30,
    replacement: "pcim_alloc_irq_vectors",
    ...overrides,
  });

  it("applies an edit inside the line to its current text", () => {
    assert.equal(
      suggestedLine([edit({})], FILE, 28, text),
      "\tnvec = pcim_alloc_irq_vectors(pdev, 1, 8, PCI_IRQ_MSIX);",
    );
  });

  it("gives the empty suggestion for a line deleted with its newline", () => {
    const deletion = edit({ startColumn: 1, endLine: 29, endColumn: 1, replacement: "" });
    assert.equal(suggestedLine([deletion], FILE, 28, text), "");
  });

  it("applies several edits of the same line from the right", () => {
    const first = edit({});
    const second = edit({ startColumn: 43, endColumn: 55, replacement: "PCI_IRQ_MSI" });
    assert.equal(
      suggestedLine([second, first], FILE, 28, text),
      "\tnvec = pcim_alloc_irq_vectors(pdev, 1, 8, PCI_IRQ_MSI);",
    );
  });

  it("refuses edits that reach other lines, other files, join lines or overlap", () => {
    assert.equal(suggestedLine([edit({ startLine: 27, endLine: 27 })], FILE, 28, text), undefined);
    assert.equal(suggestedLine([edit({ file: "drivers/other.c" })], FILE, 28, text), undefined);
    assert.equal(suggestedLine([edit({ endLine: 29, endColumn: 5 })], FILE, 28, text), undefined);
    assert.equal(
      suggestedLine([edit({ startColumn: 1, endLine: 29, endColumn: 1, replacement: "x" })], FILE, 28, text),
      undefined,
    );
    assert.equal(
      suggestedLine([edit({}), edit({ startColumn: 20, endColumn: 40 })], FILE, 28, text),
      undefined,
    );
    assert.equal(suggestedLine([], FILE, 28, text), undefined);
  });

  it("fences a suggestion so that backticks in the code cannot close it", () => {
    assert.equal(suggestionBlock(""), "```suggestion\n```");
    assert.equal(suggestionBlock("a ``` b"), "````suggestion\na ``` b\n````");
  });
});

describe("planReview", () => {
  it("posts a new error on a diff line inline, as a failure, with the suggestion", () => {
    const plan = planReview(input());
    assert.equal(plan.violations.length, 1);
    const [violation] = plan.violations;
    assert.equal(violation?.kind, "fail");
    assert.equal(violation?.file, FILE);
    assert.equal(violation?.line, 41);
    assert.match(violation?.message ?? "", /^\*\*msi-double-release\*\*: pci_free_irq_vectors\(\)/);
    assert.match(violation?.message ?? "", /\n```suggestion\n```/);
    assert.match(
      violation?.message ?? "",
      /managed by `pcim_enable_device\(\)` at \[skel_main.c:19\]\(https:\/\/github.com\/acme\/linux\/blob\/abc123\//,
    );
    // Evidence in the kernel's words, no internal role names.
    assert.doesNotMatch(violation?.message ?? "", /\((managed-enable|hybrid-alloc|release|entry)\)/);
  });

  it("on GitLab: GitLab's suggestion fence, links to the head commit's blob lines, GitLab's note limit", () => {
    const link = gitlabLineLink("https://gitlab.example/kernel/linux/", "abc123");
    const plan = planReview(input({ link, platform: GITLAB }));
    const [violation] = plan.violations;
    assert.equal(violation?.line, 41);
    assert.match(violation?.message ?? "", /\n```suggestion:-0\+0\n```/);
    assert.doesNotMatch(violation?.message ?? "", /```suggestion\n/);
    assert.match(
      violation?.message ?? "",
      /\[skel_main.c:19\]\(https:\/\/gitlab\.example\/kernel\/linux\/-\/blob\/abc123\/drivers\/net\/skel\/skel_main\.c#L19\)/,
    );
    assert.equal(suggestionBlock("x", GITLAB), "```suggestion:-0+0\nx\n```");
    // GitLab's notes hold far more than GitHub's comments: what GitHub's budget would cut stays.
    const long: Violation[] = Array.from({ length: 200 }, () => ({
      kind: "warn",
      message: "x".repeat(1000),
    }));
    assert.equal(withinMainComment(long, undefined, GITLAB).length, 200);
    assert.ok(withinMainComment(long, undefined).length < 200);
  });

  it("maps fail-on to fail or warn per finding", () => {
    const warning = finding({
      ruleId: "msi-implicit-managed",
      severity: "warning",
      fingerprint: "f2",
      line: 39,
    });
    const mixed = input({ report: report([driver({ findings: [finding(), warning] })]) });
    const kinds = (failOn: ReviewInput["options"]["failOn"]): string[] =>
      planReview({ ...mixed, options: { ...mixed.options, failOn } }).violations.map(
        (v) => `${v.line}:${v.kind}`,
      );
    assert.deepEqual(kinds("new"), ["39:fail", "41:fail"]);
    assert.deepEqual(kinds("error"), ["39:warn", "41:fail"]);
    assert.deepEqual(kinds("never"), ["39:warn", "41:warn"]);
  });

  it("leaves findings the change did not introduce to the summary, except under fail-on any", () => {
    const old = input({ report: report([driver({ findings: [finding({ new: false })] })]) });
    assert.deepEqual(planReview(old).violations, []);
    assert.match(planReview(old).markdown ?? "", /#### double-release \(1\)/);
    const any = planReview({ ...old, options: { ...old.options, failOn: "any" } });
    assert.equal(any.violations[0]?.kind, "fail");
  });

  it("posts a finding outside the diff without a position, naming and linking its line", () => {
    const plan = planReview(input({ report: report([driver({ findings: [finding({ line: 28 })] })]) }));
    const [violation] = plan.violations;
    assert.equal(violation?.file, undefined);
    assert.equal(violation?.line, undefined);
    assert.match(
      violation?.message ?? "",
      /^\[`drivers\/net\/skel\/skel_main.c:28`\]\(https:\/\/github.com\/acme\/linux\/blob\/abc123\/drivers\/net\/skel\/skel_main.c#L28\) \*\*msi-double-release\*\*/,
    );
    assert.doesNotMatch(violation?.message ?? "", /```suggestion/);
  });

  it("honours inline: false and suggestions: false", () => {
    const flat = planReview(input({ options: { failOn: "new", inline: false, suggestions: true } }));
    assert.equal(flat.violations[0]?.file, undefined);
    const plain = planReview(input({ options: { failOn: "new", inline: true, suggestions: false } }));
    assert.equal(plain.violations[0]?.line, 41);
    assert.doesNotMatch(plain.violations[0]?.message ?? "", /```suggestion/);
    assert.match(plain.violations[0]?.message ?? "", /Fix: Remove pci_free_irq_vectors\(\)\./);
  });

  it("summarises the touched drivers that need conversion, by status, with the tree-wide count", () => {
    const implicit = driver({
      unit: "drivers/net/other",
      module: "other",
      files: ["drivers/net/other/main.c"],
      status: "implicit-managed",
      findings: [
        finding({
          ruleId: "msi-implicit-managed",
          severity: "warning",
          file: "drivers/net/other/main.c",
          line: 10,
          fingerprint: "f3",
          new: false,
          evidence: [
            {
              file: "drivers/net/other/main.c",
              line: 8,
              column: 2,
              role: "managed-enable",
              function: "other_probe",
              text: "pcim_enable_device(pdev)",
            },
          ],
        }),
      ],
    });
    const untouched = driver({
      unit: "drivers/net/far",
      module: "far",
      files: ["drivers/net/far/far.c"],
      findings: [],
    });
    const converted = driver({
      unit: "drivers/net/done",
      module: "done",
      files: ["drivers/net/done/done.c"],
      status: "converted",
      findings: [],
    });
    const treeWide = {
      ...report([]).summary,
      "double-release": 4,
      "implicit-managed": 30,
      "converted-double-release": 1,
    };
    const plan = planReview(
      input({
        report: report([driver(), implicit, untouched, converted]),
        changedFiles: new Set([FILE, "drivers/net/other/main.c", "drivers/net/done/done.c"]),
        treeWide,
      }),
    );
    const markdown = plan.markdown ?? "";
    assert.match(markdown, /This change touches 2 drivers that still need conversion/);
    assert.ok(markdown.indexOf("#### double-release (1)") < markdown.indexOf("#### implicit-managed (1)"));
    assert.match(
      markdown,
      /- \*\*drivers\/net\/other\*\* \(`other`\)\n {2}- managed by `pcim_enable_device\(\)` at \[main.c:8\]\(https:\/\/github.com\/acme\/linux\/blob\/abc123\/drivers\/net\/other\/main.c#L8\) in `other_probe\(\)`/,
    );
    assert.doesNotMatch(markdown, /drivers\/net\/far|drivers\/net\/done/);
    assert.match(
      markdown,
      /Tree-wide, 35 drivers still need conversion \(leaks-at-detach: 0, double-release: 4, converted-double-release: 1, implicit-managed: 30\)\./,
    );
    // Evidence shared by several findings is listed once.
    assert.equal(markdown.split("skel_main.c:19]").length - 1, 1);
  });

  it("keeps Danger's main comment within GitHub's limit, counting the findings left out", () => {
    const findings = [
      finding({ line: 41 }),
      ...Array.from({ length: 300 }, (_, index) => finding({ line: 100 + index, severity: "warning" })),
      finding({ line: 900 }),
    ];
    const plan = planReview(input({ report: report([driver({ findings })]) }));
    const main = plan.violations.filter((violation) => violation.file === undefined);
    const listed = main.reduce((sum, violation) => sum + violation.message.length + 100, 0);
    assert.ok(listed + (plan.markdown?.length ?? 0) <= MAIN_COMMENT_BUDGET, `${listed} characters listed`);
    assert.equal(
      plan.violations.filter((violation) => violation.file !== undefined).length,
      1,
      "inline kept",
    );
    const last = main.at(-1);
    const left = 301 - (main.length - 1);
    assert.ok(left > 0 && left < 301);
    assert.equal(last?.message.startsWith(`${left} more findings outside the diff are not listed`), true);
    assert.equal(last?.kind, "fail", "a failure left out still fails");
  });

  it("says nothing when the touched drivers need no conversion", () => {
    const plan = planReview(input({ report: report([driver({ status: "converted", findings: [] })]) }));
    assert.deepEqual(plan, { violations: [], markdown: undefined });
  });
});

describe("isFullAudit", () => {
  it("is an audit when findings exist and none is marked new or not", () => {
    assert.equal(isFullAudit(report([driver({ findings: [finding({ new: undefined })] })])), true);
    assert.equal(isFullAudit(report([driver()])), false);
    assert.equal(isFullAudit(report([driver({ findings: [] })])), false);
  });
});

describe("optionsFromEnv", () => {
  it("reads the dangerfile's variables and ignores empty ones", () => {
    assert.deepEqual(
      optionsFromEnv({
        MSI_OWNERSHIP_REPORT: "msi-ownership.json",
        MSI_OWNERSHIP_FAIL_ON: "error",
        MSI_OWNERSHIP_INLINE: "false",
        MSI_OWNERSHIP_SUGGESTIONS: "1",
        MSI_OWNERSHIP_FULL_REPORT: "",
      }),
      { report: "msi-ownership.json", failOn: "error", inline: false, suggestions: true },
    );
  });

  it("names the variable and the value it refuses", () => {
    assert.throws(
      () => optionsFromEnv({ MSI_OWNERSHIP_FAIL_ON: "sometimes" }),
      /MSI_OWNERSHIP_FAIL_ON: unknown value 'sometimes'/,
    );
    assert.throws(
      () => optionsFromEnv({ MSI_OWNERSHIP_INLINE: "maybe" }),
      /MSI_OWNERSHIP_INLINE: 'maybe' is not a boolean/,
    );
  });
});

interface Posted {
  kind: string;
  message: string;
  file?: string | undefined;
  line?: number | undefined;
}

/** Installs Danger's globals for one test; returns what the plugin posted. */
function fakeDanger(
  git: Record<string, unknown>,
  github?: unknown,
): { posted: Posted[]; diffsAskedFor: string[] } {
  const posted: Posted[] = [];
  const diffsAskedFor: string[] = [];
  const scope = globalThis as Record<string, unknown>;
  scope.danger = {
    git: {
      base: "base-sha",
      head: "head-sha",
      created_files: [],
      modified_files: [FILE],
      deleted_files: [],
      structuredDiffForFile: async (file: string) => {
        diffsAskedFor.push(file);
        return file === FILE ? { chunks: CHUNKS } : null;
      },
      ...git,
    },
    ...(github !== undefined && { github }),
  };
  for (const kind of ["fail", "warn", "markdown"]) {
    scope[kind] = (message: string, file?: string, line?: number) =>
      posted.push({ kind, message, file, line });
  }
  return { posted, diffsAskedFor };
}

describe("msiOwnership with Danger's globals", () => {
  let dir: string;
  const github = {
    pr: { head: { sha: "head-sha" }, base: { repo: { html_url: "https://github.com/acme/linux" } } },
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "msi-danger-unit-"));
  });
  afterEach(() => {
    for (const name of ["danger", "fail", "warn", "markdown"])
      delete (globalThis as Record<string, unknown>)[name];
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("posts the action's report: an inline failure and one summary, linked at the head commit", async () => {
    const path = join(dir, "pr.json");
    const other = driver({
      unit: "drivers/net/x",
      module: "x",
      files: ["drivers/net/x/x.c"],
      findings: [finding({ file: "drivers/net/x/x.c", fingerprint: "fx" })],
    });
    await writeFile(path, JSON.stringify(report([driver(), other])));
    const { posted, diffsAskedFor } = fakeDanger({}, github);
    const plan = await msiOwnership({ report: path });
    assert.deepEqual(
      posted.map((post) => [post.kind, post.file, post.line]),
      [
        ["fail", FILE, 41],
        ["markdown", undefined, undefined],
      ],
    );
    assert.match(
      posted[0]?.message ?? "",
      /https:\/\/github.com\/acme\/linux\/blob\/head-sha\/drivers\/net\/skel\/skel_main.c#L19/,
    );
    assert.doesNotMatch(posted[1]?.message ?? "", /Tree-wide/, "a PR report does not know the tree");
    // Only the diffs of changed files with findings are fetched.
    assert.deepEqual(diffsAskedFor, [FILE]);
    assert.equal(plan.violations.length, 1);
  });

  it("takes the tree-wide count from a full audit, given as the report or as fullReport", async () => {
    const audit = join(dir, "audit.json");
    const far = driver({
      unit: "drivers/net/far",
      module: "far",
      files: ["drivers/net/far/far.c"],
      status: "implicit-managed",
      findings: [finding({ file: "drivers/net/far/far.c", new: undefined, fingerprint: "ff" })],
    });
    await writeFile(
      audit,
      JSON.stringify(report([driver({ findings: [finding({ new: undefined })] }), far])),
    );
    const first = fakeDanger({}, github);
    await msiOwnership({ report: audit, failOn: "error" });
    assert.equal(
      first.posted.filter((post) => post.kind === "fail").length,
      1,
      "the untouched driver's finding is not posted",
    );
    assert.match(
      first.posted.at(-1)?.message ?? "",
      /Tree-wide, 2 drivers still need conversion \(leaks-at-detach: 0, double-release: 1, converted-double-release: 0, implicit-managed: 1\)/,
    );

    const pr = join(dir, "pr-only.json");
    await writeFile(pr, JSON.stringify(report([driver()])));
    const second = fakeDanger({}, github);
    await msiOwnership({ report: pr, fullReport: audit, inline: false });
    assert.deepEqual(
      second.posted.map((post) => [post.kind, post.line]),
      [
        ["fail", undefined],
        ["markdown", undefined],
      ],
    );
    assert.match(second.posted[1]?.message ?? "", /Tree-wide, 2 drivers/);
  });

  it("refuses to run outside Danger, and names bad options and reports", async () => {
    await assert.rejects(msiOwnership({}), /runs inside a dangerfile: Danger's global 'danger' is missing/);
    fakeDanger({}, github);
    await assert.rejects(
      msiOwnership({ report: join(dir, "missing.json") }),
      /report .*missing\.json: no such file/,
    );
    const notReport = join(dir, "not-report.json");
    await writeFile(notReport, JSON.stringify({ version: 2 }));
    await assert.rejects(
      msiOwnership({ report: notReport }),
      /not-report\.json: not an msi-ownership report/,
    );
    await assert.rejects(msiOwnership({ failOn: "often" as never }), /failOn.*unknown value 'often'/);
    await assert.rejects(msiOwnership({ inlined: true } as never), /unknown option 'inlined'/);
    await assert.rejects(msiOwnership({ inline: "no" as never }), /option 'inline' must be true or false/);
    // A push event: Danger's git DSL is empty, so there is nothing to compare.
    fakeDanger({ base: undefined, head: undefined, modified_files: [] });
    await assert.rejects(msiOwnership({}), /knows no pull request here/);
  });

  it("analyses the PR's modules itself when no report is given", async () => {
    const repo = join(dir, "linux");
    const run = promisify(execFile);
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=T", "-c", "user.email=t@example.org", ...args], { cwd: repo }).then((r) =>
        r.stdout.trim(),
      );
    const fixtures = join(projectRoot, "test", "fixtures", "danger");
    const file = "drivers/misc/skel/skel_main.c";
    await mkdir(join(repo, "drivers/misc/skel"), { recursive: true });
    await git("init", "-q", "-b", "main");
    await copyFile(join(fixtures, "Makefile"), join(repo, "drivers/misc/skel/Makefile"));
    await copyFile(join(fixtures, "skel_main-base.c"), join(repo, file));
    await git("add", "-A");
    await git("commit", "-q", "-m", "base");
    const base = await git("rev-parse", "HEAD");
    await copyFile(join(fixtures, "skel_main-head.c"), join(repo, file));
    await git("commit", "-q", "-a", "-m", "head");
    const head = await git("rev-parse", "HEAD");
    const added: DiffChunk[] = [
      { changes: [{ type: "add", ln: 41, content: "+\tpci_free_irq_vectors(pdev);" }] },
    ];
    const { posted } = fakeDanger(
      { base, head, modified_files: [file], structuredDiffForFile: async () => ({ chunks: added }) },
      github,
    );
    await msiOwnership({ root: repo });
    const failure = posted.find((post) => post.kind === "fail");
    assert.equal(failure?.file, file);
    assert.equal(failure?.line, 41);
    assert.match(failure?.message ?? "", /msi-double-release[\s\S]*```suggestion\n```/);
    assert.match(posted.find((post) => post.kind === "markdown")?.message ?? "", /#### double-release \(1\)/);
  });
});

describe("package exports", () => {
  it("maps msi-ownership/danger to the bundle the dangerfile loads", async () => {
    const pkg = JSON.parse(await readFile(join(projectRoot, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
      bin: Record<string, string>;
    };
    assert.deepEqual(pkg.exports["./danger"], { types: "./types/danger.d.ts", default: "./dist/danger.js" });
    assert.equal(pkg.exports["."], "./dist/cli.js");
    assert.equal(pkg.exports["./package.json"], "./package.json");
    assert.equal(pkg.bin["msi-ownership"], "dist/cli.js");
    const dangerfile = await readFile(join(projectRoot, "dangerfile.ts"), "utf8");
    assert.match(dangerfile, /require\("\.\/dist\/danger\.js"\)/);
    // Self-reference resolves through "exports" like an installed package does.
    const require = createRequire(import.meta.url);
    try {
      assert.equal(require.resolve("msi-ownership/danger"), join(projectRoot, "dist", "danger.js"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
      // dist/ not built in this checkout: the mapping itself was checked above.
    }
  });
});

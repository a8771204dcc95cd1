/**
 * The action's run() from the sources, in a child process as the runner would start it: the
 * runner's files (event, outputs, job summary) in a directory of its own, the inputs as
 * INPUT_* variables, the GitHub API at `apiUrl`.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ApiPolicy } from "../../src/github/checks.js";

const execFileAsync = promisify(execFile);

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: string;
  report: string;
  sarif: string;
}

export interface ActionRunOptions {
  /** The runner's directory (RUNNER_TEMP); the reports are written there too. */
  runner: string;
  workspace: string;
  apiUrl: string;
  token: string;
  /** `owner/repo`. */
  repository: string;
  eventName: string;
  payload: unknown;
  inputs: Record<string, string>;
  policy: ApiPolicy;
}

export async function runActionSource(options: ActionRunOptions): Promise<ActionRun> {
  const { runner } = options;
  await mkdir(runner, { recursive: true });
  const event = join(runner, "event.json");
  await writeFile(event, JSON.stringify(options.payload));
  await writeFile(join(runner, "output"), "");
  await writeFile(join(runner, "summary.md"), "");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_CACHE_HOME: join(runner, "cache"),
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: options.repository,
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: event,
    GITHUB_SHA: "f".repeat(40),
    GITHUB_OUTPUT: join(runner, "output"),
    GITHUB_STEP_SUMMARY: join(runner, "summary.md"),
    GITHUB_API_URL: options.apiUrl,
    GITHUB_RUN_ID: "9",
    RUNNER_TEMP: runner,
    INPUT_TOKEN: options.token,
    INPUT_PATHS: "drivers",
    INPUT_ANNOTATIONS: "auto",
    INPUT_REPORT: join(runner, "report.json"),
    INPUT_SARIF: join(runner, "report.sarif"),
    INPUT_MODE: "auto",
  };
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const main = new URL("../../src/github/main.ts", import.meta.url).href;
  const script = `import(${JSON.stringify(main)}).then((m) => m.run(${JSON.stringify(options.policy)}));`;
  let code = 0;
  let stdout = "";
  let stderr = "";
  try {
    ({ stdout, stderr } = await execFileAsync(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), "-e", script],
      { cwd: options.workspace, env, maxBuffer: 1 << 26 },
    ));
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    ({ code, stdout, stderr } = failed);
  }
  const read = (name: string): Promise<string> => readFile(join(runner, name), "utf8").catch(() => "");
  return {
    code,
    stdout,
    stderr,
    summary: await read("summary.md"),
    outputs: await read("output"),
    report: await read("report.json"),
    sarif: await read("report.sarif"),
  };
}

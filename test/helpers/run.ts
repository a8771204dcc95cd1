/** A program run to its end: its exit status and output, whether it failed or not. */
import { execFile, type ExecFileOptions } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runProgram(
  file: string,
  args: readonly string[],
  options: ExecFileOptions,
): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      maxBuffer: 256 * 1024 * 1024,
      ...options,
      encoding: "utf8",
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== "number") throw error;
    return { status: failed.code, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

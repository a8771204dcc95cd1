/** What every subcommand shares: exit statuses, the fail-on policy, usage errors. */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Finding } from "../report/types.js";

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;

export const FAIL_ON = ["new", "error", "any", "never"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Bad usage or input: printed as one line on stderr, exit status 2. */
export class UsageError extends Error {}

export function parseFailOn(value: string, input = "--fail-on"): FailOn {
  if ((FAIL_ON as readonly string[]).includes(value)) return value as FailOn;
  throw new UsageError(`${input}: unknown value '${value}' (allowed: ${FAIL_ON.join(", ")})`);
}

/**
 * Whether findings block under a policy: `new` blocks on any finding the change introduces
 * (outside PR mode every finding counts as new), `error` on any error, `any` on any finding.
 */
export function isBlocking(findings: readonly Finding[], failOn: FailOn): boolean {
  switch (failOn) {
    case "never":
      return false;
    case "any":
      return findings.length > 0;
    case "error":
      return findings.some((finding) => finding.severity === "error");
    case "new":
      return findings.some((finding) => finding.new !== false);
  }
}

/**
 * PATH arguments as other tools take them: absolute, or relative to the current directory when
 * that names something, else relative to the root. Returned relative to the root, with `/`.
 */
export function treePaths(paths: readonly string[], root: string, cwd = process.cwd()): string[] {
  const top = existsSync(root) ? realpathSync(root) : resolve(root);
  const inRoot = (path: string): string | undefined => {
    const real = existsSync(path) ? realpathSync(path) : resolve(path);
    const rel = relative(top, real);
    return rel.startsWith("..") || isAbsolute(rel) ? undefined : rel.split(sep).join("/");
  };
  return paths.map((path) => {
    const fromCwd = resolve(cwd, path);
    if (isAbsolute(path) || existsSync(fromCwd)) {
      const rel = inRoot(fromCwd);
      if (rel !== undefined) return rel === "" ? "." : rel;
      if (isAbsolute(path)) throw new UsageError(`path ${path}: outside the root ${root}`);
    }
    if (existsSync(resolve(top, path))) return path;
    throw new UsageError(
      `path ${path}: no such file or directory, neither ${fromCwd} (from the current directory) nor ${resolve(top, path)} (under the root)`,
    );
  });
}

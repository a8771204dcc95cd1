/**
 * Loads a native addon that the bundle carries inside itself, so that `dist/cli.js` copied alone
 * into an empty folder runs with plain `node` and no node_modules. scripts/build.mjs replaces the
 * `node-gyp-build` loaders of tree-sitter and tree-sitter-c with a call to loadEmbeddedAddon().
 *
 * A shared library can only be loaded from a file, so the payload is written once per content
 * hash into a private directory and reused by every later run, process and worker thread.
 */
import { createHash, randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { inflateRawSync } from "node:zlib";

export interface EmbeddedPayload {
  /** sha256 (hex) of the addon file. */
  sha256: string;
  /** The addon file, raw-deflated then base64-encoded. */
  deflated: string;
}

/** Payloads by `${process.platform}-${process.arch}`. */
export type EmbeddedPayloads = Readonly<Record<string, EmbeddedPayload>>;

export function platformKey(): string {
  return `${process.platform}-${process.arch}`;
}

export function loadEmbeddedAddon(name: string, payloads: EmbeddedPayloads): unknown {
  const key = platformKey();
  const payload = payloads[key];
  if (payload === undefined) {
    throw new Error(
      `the bundled ${name} native addon exists for ${Object.keys(payloads).join(", ")}, ` + `not for ${key}`,
    );
  }
  const failures: string[] = [];
  // /tmp may be mounted noexec, where dlopen fails: the user's cache directory is the fallback.
  for (const dir of addonDirectories()) {
    let file: string;
    try {
      file = materialize(dir, `${name}-${payload.sha256.slice(0, 16)}.node`, payload);
    } catch (error) {
      failures.push(`${dir}: ${(error as Error).message}`);
      continue;
    }
    const module = { exports: {} as unknown };
    try {
      process.dlopen(module, file);
      return module.exports;
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message}`);
    }
  }
  throw new Error(`cannot load the bundled ${name} native addon (${key}): ${failures.join("; ")}`);
}

function addonDirectories(): string[] {
  const user = typeof process.getuid === "function" ? String(process.getuid()) : "user";
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return [join(tmpdir(), `msi-ownership-native-${user}`), join(cacheHome, "msi-ownership", "native")];
}

/** Returns the path of a file holding exactly the payload, writing it if needed. */
export function materialize(dir: string, fileName: string, payload: EmbeddedPayload): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivateDirectory(dir);
  const file = join(dir, fileName);
  if (hasContent(file, payload.sha256)) {
    return file;
  }
  const bytes = inflateRawSync(Buffer.from(payload.deflated, "base64"));
  if (sha256(bytes) !== payload.sha256) {
    throw new Error(`the embedded payload for ${fileName} is corrupt (sha256 mismatch)`);
  }
  // Several processes or worker threads may get here at once: each writes its own temporary
  // file and renames it into place, so a reader only ever sees a complete file.
  const temporary = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(temporary, bytes, { mode: 0o700 });
    renameSync(temporary, file);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The directory itself is unusable; the error below says why.
    }
    throw error;
  }
  return file;
}

function hasContent(file: string, expected: string): boolean {
  try {
    return sha256(readFileSync(file)) === expected;
  } catch {
    return false;
  }
}

/** A library loaded from a directory others can write to could be swapped under us. */
function assertPrivateDirectory(dir: string): void {
  if (typeof process.getuid !== "function") {
    return;
  }
  const info = lstatSync(dir);
  if (!info.isDirectory()) {
    throw new Error(`${dir} is not a directory`);
  }
  if (info.uid !== process.getuid()) {
    throw new Error(`${dir} belongs to another user (uid ${info.uid})`);
  }
  if ((info.mode & 0o022) !== 0) {
    throw new Error(`${dir} is writable by other users (mode ${(info.mode & 0o777).toString(8)})`);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { deflateRawSync } from "node:zlib";
import { loadEmbeddedAddon, materialize, platformKey } from "../src/native/embedded-addon.js";
import type { EmbeddedPayload } from "../src/native/embedded-addon.js";

const scratch = mkdtempSync(join(tmpdir(), "msi-native-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function payloadOf(bytes: Buffer): EmbeddedPayload {
  return {
    sha256: createHash("sha256").update(bytes).digest("hex"),
    deflated: deflateRawSync(bytes).toString("base64"),
  };
}

const content = Buffer.from("pretend this is a shared library ".repeat(2000));
const payload = payloadOf(content);

describe("materialize", () => {
  it("writes the payload once and reuses the file", () => {
    const dir = join(scratch, "once");
    const file = materialize(dir, "addon.node", payload);
    assert.deepEqual(readFileSync(file), content);
    writeFileSync(join(dir, "marker"), "");
    assert.equal(materialize(dir, "addon.node", payload), file);
    assert.deepEqual(readdirSync(dir).sort(), ["addon.node", "marker"]);
  });

  it("replaces a truncated or altered file", () => {
    const dir = join(scratch, "damaged");
    const file = materialize(dir, "addon.node", payload);
    writeFileSync(file, content.subarray(0, 100));
    materialize(dir, "addon.node", payload);
    assert.deepEqual(readFileSync(file), content);
  });

  it("refuses a payload whose checksum does not match", () => {
    const bad = { ...payload, sha256: "0".repeat(64) };
    assert.throws(() => materialize(join(scratch, "bad"), "addon.node", bad), /corrupt \(sha256 mismatch\)/);
  });

  it("refuses a directory that other users can write to", { skip: process.getuid === undefined }, () => {
    const dir = join(scratch, "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    assert.throws(() => materialize(dir, "addon.node", payload), /writable by other users \(mode 777\)/);
  });

  it("leaves one complete file when several threads write it at once", async () => {
    const dir = join(scratch, "race");
    const moduleUrl = new URL("../src/native/embedded-addon.ts", import.meta.url).href;
    const tsx = import.meta.resolve("tsx/esm/api");
    const code = `
      const { workerData, parentPort } = require("node:worker_threads");
      import(${JSON.stringify(tsx)}).then(async ({ register }) => {
        register();
        const { materialize } = await import(${JSON.stringify(moduleUrl)});
        for (let round = 0; round < 20; round++) materialize(workerData.dir, "addon.node", workerData.payload);
        parentPort.postMessage("done");
      });`;
    await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(code, { eval: true, workerData: { dir, payload } });
            worker.once("message", () => void worker.terminate().then(() => resolve()));
            worker.once("error", reject);
          }),
      ),
    );
    assert.deepEqual(readdirSync(dir), ["addon.node"]);
    assert.deepEqual(readFileSync(join(dir, "addon.node")), content);
  });
});

describe("loadEmbeddedAddon", () => {
  it("names the platform when the bundle has no addon for it", () => {
    assert.throws(
      () => loadEmbeddedAddon("tree-sitter", { "plan9-mips": payload, "plan9-arm": payload }),
      // No advice to install from a registry: the caller falls back to WebAssembly.
      new RegExp(`exists for plan9-mips, plan9-arm, not for ${platformKey()}$`),
    );
  });

  it("says which files failed to load", () => {
    // Both places the loader tries, inside the scratch directory.
    const previous = { TMPDIR: process.env.TMPDIR, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
    process.env.TMPDIR = join(scratch, "tmp");
    process.env.XDG_CACHE_HOME = join(scratch, "cache");
    try {
      assert.throws(
        () => loadEmbeddedAddon("not-a-library", { [platformKey()]: payload }),
        /cannot load the bundled not-a-library native addon .*not-a-library-[0-9a-f]{16}\.node/,
      );
    } finally {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

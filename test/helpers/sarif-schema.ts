/**
 * Validation against the SARIF 2.1.0 schema as the SARIF SDK ships it (test/schemas/README.md
 * says where it comes from). Formats are checked too: `uri-reference` rejects a badly encoded path.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => Ajv2020;

const schema = JSON.parse(
  readFileSync(new URL("../schemas/sarif-schema-2.1.0.json", import.meta.url), "utf8"),
) as object;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
export const validateSarif = ajv.compile(schema);

export function assertValidSarif(log: unknown): void {
  const ok = validateSarif(log);
  assert.ok(ok, `SARIF does not validate:\n${ajv.errorsText(validateSarif.errors, { separator: "\n" })}`);
}

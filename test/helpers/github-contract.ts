/**
 * GitHub's REST API as GitHub publishes it, made the referee of the fake GitHub: which operation
 * a request is, whether GitHub would take it, whether an answer is one GitHub could give. The
 * description is `@octokit/openapi`'s api.github.com.json, pinned to the version the octokit
 * client's types were generated from. Its OpenAPI 3.0 schemas become JSON Schema for ajv
 * (`nullable`, `$ref` into components); validators are compiled per operation on first use.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Json;
}

interface MediaType {
  schema?: Json;
  examples?: Record<string, { value?: unknown; $ref?: string }>;
}

interface OpenApiOperation {
  operationId: string;
  externalDocs?: { url: string };
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { $ref?: string; content?: Record<string, MediaType> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, Json>;
    parameters: Record<string, Parameter>;
    responses: Record<string, { content?: Record<string, MediaType> }>;
    examples: Record<string, { value: unknown }>;
  };
}

export interface Operation {
  /** GitHub's operationId, e.g. `checks/update`. */
  id: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/check-runs/{check_run_id}`. */
  template: string;
  documentationUrl: string;
  spec: OpenApiOperation;
}

const require = createRequire(import.meta.url);
export const OPENAPI_VERSION = (require("@octokit/openapi/package.json") as { version: string }).version;
const spec = JSON.parse(
  readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8"),
) as OpenApi;

/** Where a `$ref` into the description points. */
function resolveRef<T>(ref: string): T {
  let target: unknown = spec;
  for (const part of ref.replace(/^#\//, "").split("/")) {
    target = (target as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  if (target === undefined) throw new Error(`the OpenAPI description has no ${ref}`);
  return target as T;
}

/** ID of the schema that holds the translated components, so refs resolve through ajv. */
const COMPONENTS_ID = "github-components";

/**
 * An OpenAPI 3.0 schema as JSON Schema: `nullable: true` admits null (draft-07 has no such
 * keyword), and refs point into the components schema registered with ajv.
 */
function toJsonSchema(schema: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "nullable" || key === "example" || key === "discriminator") continue;
    if (key === "$ref") out.$ref = `${COMPONENTS_ID}${String(value)}`;
    else if (key === "properties")
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Json>).map(([name, sub]) => [name, toJsonSchema(sub)]),
      );
    else if (
      (key === "items" || key === "additionalProperties" || key === "not") &&
      typeof value === "object"
    )
      out[key] = toJsonSchema(value as Json);
    else if (key === "allOf" || key === "anyOf" || key === "oneOf")
      out[key] = (value as Json[]).map(toJsonSchema);
    else out[key] = value;
  }
  return schema.nullable === true ? { anyOf: [out, { type: "null" }] } : out;
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
addFormats(ajv);
ajv.addSchema({
  $id: COMPONENTS_ID,
  components: {
    schemas: Object.fromEntries(
      Object.entries(spec.components.schemas).map(([name, schema]) => [name, toJsonSchema(schema)]),
    ),
  },
});
/** Path and query parameters arrive as text: this instance coerces them to the schema's type. */
const paramsAjv = new Ajv({ allErrors: true, strict: false, logger: false, coerceTypes: "array" });
addFormats(paramsAjv);
paramsAjv.addSchema(ajv.getSchema(COMPONENTS_ID)?.schema as object);

interface Route {
  operation: Operation;
  pattern: RegExp;
  names: string[];
  /** Literal segments: where two templates match, GitHub routes to the one with more. */
  literals: number;
}

const routes: Route[] = [];
for (const [template, item] of Object.entries(spec.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    if (typeof operation !== "object" || operation.operationId === undefined) continue;
    const names: string[] = [];
    const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    routes.push({
      operation: {
        id: operation.operationId,
        method: method.toUpperCase(),
        template,
        documentationUrl: operation.externalDocs?.url ?? "https://docs.github.com/rest",
        spec: operation,
      },
      pattern: new RegExp(`^${source}$`),
      names,
      literals: template.split("/").filter((part) => part !== "" && !part.startsWith("{")).length,
    });
  }
}

export interface MatchedOperation {
  operation: Operation;
  /** Path parameters, decoded. */
  params: Record<string, string>;
}

/** The operation GitHub would route `METHOD path` to, or undefined (GitHub answers 404). */
export function findOperation(method: string, path: string): MatchedOperation | undefined {
  let best: { route: Route; match: RegExpExecArray } | undefined;
  for (const route of routes) {
    if (route.operation.method !== method.toUpperCase()) continue;
    const match = route.pattern.exec(path);
    if (match !== null && (best === undefined || route.literals > best.route.literals))
      best = { route, match };
  }
  if (best === undefined) return undefined;
  const { route, match } = best;
  return {
    operation: route.operation,
    params: Object.fromEntries(
      route.names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? "")]),
    ),
  };
}

const validators = new Map<string, ValidateFunction>();

/** A validator compiled once per operation and part, the first time it is needed. */
function validator(
  key: string,
  schema: () => Json | undefined,
  instance: Ajv = ajv,
): ValidateFunction | undefined {
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const source = schema();
  if (source === undefined) return undefined;
  const compiled = instance.compile(source);
  validators.set(key, compiled);
  return compiled;
}

function errorsOf(where: string, validate: ValidateFunction): string[] {
  const all = validate.errors ?? [];
  // A nullable value that fails also fails `null` and the anyOf around both: say it once.
  const specific = all.filter(
    (error) => error.keyword !== "anyOf" && !(error.keyword === "type" && error.message === "must be null"),
  );
  return (specific.length > 0 ? specific : all).map((error) => {
    const params = error.params as { allowedValues?: unknown[]; additionalProperty?: string };
    const detail =
      error.keyword === "enum"
        ? ` (${(params.allowedValues ?? []).join(", ")})`
        : error.keyword === "additionalProperties"
          ? ` (${String(params.additionalProperty)})`
          : "";
    return `${where}${error.instancePath} ${error.message ?? "is invalid"}${detail}`;
  });
}

function parametersOf(operation: Operation): Parameter[] {
  return (operation.spec.parameters ?? []).map((parameter) =>
    "$ref" in parameter ? resolveRef<Parameter>(parameter.$ref) : parameter,
  );
}

/** The JSON Schema of the parameters given `in` one place, as an object of their values. */
function parametersSchema(operation: Operation, place: "path" | "query"): Json {
  const parameters = parametersOf(operation).filter((parameter) => parameter.in === place);
  return {
    type: "object",
    properties: Object.fromEntries(
      parameters.map((parameter) => [parameter.name, toJsonSchema(parameter.schema ?? {})]),
    ),
    required: parameters
      .filter((parameter) => parameter.required === true)
      .map((parameter) => parameter.name),
  };
}

/** Why GitHub would refuse this request for the operation (empty when it would take it). */
export function requestViolations(
  matched: MatchedOperation,
  query: URLSearchParams,
  body: unknown,
): string[] {
  const { operation } = matched;
  const violations: string[] = [];
  const pathValidator = validator(
    `${operation.id} path`,
    () => parametersSchema(operation, "path"),
    paramsAjv,
  );
  if (pathValidator !== undefined && !pathValidator({ ...matched.params }))
    violations.push(...errorsOf("path parameter ", pathValidator));
  const queryValidator = validator(
    `${operation.id} query`,
    () => parametersSchema(operation, "query"),
    paramsAjv,
  );
  const queryValues: Record<string, string | string[]> = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    queryValues[name] = values.length === 1 ? (values[0] as string) : values;
  }
  if (queryValidator !== undefined && !queryValidator(queryValues))
    violations.push(...errorsOf("query parameter ", queryValidator));
  const requestBody = operation.spec.requestBody;
  if (requestBody === undefined) return violations;
  if (body === undefined) {
    if (requestBody.required === true) violations.push("request body is required");
    return violations;
  }
  const bodyValidator = validator(`${operation.id} request`, () => {
    const schema = requestBody.content["application/json"]?.schema;
    return schema === undefined ? undefined : toJsonSchema(schema);
  });
  if (bodyValidator !== undefined && !bodyValidator(body))
    violations.push(...errorsOf("request body", bodyValidator));
  return violations;
}

function responseMedia(operation: Operation, status: number): MediaType | undefined {
  const response = operation.spec.responses[String(status)];
  if (response === undefined) return undefined;
  const resolved =
    response.$ref !== undefined
      ? resolveRef<{ content?: Record<string, MediaType> }>(response.$ref)
      : response;
  return resolved.content?.["application/json"];
}

/**
 * Why GitHub could not have given this answer to the operation. A status the operation does not
 * document is taken when it is an error in GitHub's basic error shape (any endpoint may answer
 * 403, 500 or a rate limit), and refused when it is a success.
 */
export function responseViolations(operation: Operation, status: number, body: unknown): string[] {
  const documented = operation.spec.responses[String(status)] !== undefined;
  if (!documented && status < 400) return [`response status ${status} is not one the operation answers`];
  const validate = documented
    ? validator(`${operation.id} ${status}`, () => {
        const schema = responseMedia(operation, status)?.schema;
        return schema === undefined ? undefined : toJsonSchema(schema);
      })
    : validator("basic-error", () => toJsonSchema({ $ref: "#/components/schemas/basic-error" }));
  if (validate === undefined)
    return body === undefined ? [] : [`response ${status} has a body the operation does not`];
  return validate(body) ? [] : errorsOf(`response ${status} body`, validate);
}

/**
 * GitHub's own example of the operation's answer, a fresh copy: the fake starts from it and
 * sets what its state knows, so every field GitHub sends is there.
 */
export function exampleResponse(operation: Operation, status: number): unknown {
  const example = Object.values(responseMedia(operation, status)?.examples ?? {})[0];
  if (example === undefined) throw new Error(`${operation.id} has no example ${status} response`);
  const value =
    example.$ref !== undefined ? resolveRef<{ value: unknown }>(example.$ref).value : example.value;
  return structuredClone(value);
}

/** The operation with this operationId (for tests that name one). */
export function operationById(id: string): Operation {
  const route = routes.find((candidate) => candidate.operation.id === id);
  if (route === undefined) throw new Error(`the OpenAPI description has no operation ${id}`);
  return route.operation;
}

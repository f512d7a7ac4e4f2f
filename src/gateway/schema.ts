/**
 * One schema source for a route: its query, JSON body and responses are TypeBox schemas, and from
 * them come both the validation (FastAPI/pydantic-shaped 422 bodies, http-contract.md §0.1) and the
 * route's entry in `GET /openapi.json`. Nothing about a shape is written twice.
 *
 *   const SubmitBody = Type.Object({ flow_name: Type.String({ minLength: 1 }), params: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { default: {} })) });
 *   const submit = defineRoute(ctx, {
 *     method: "post", path: "/runs", summary: "Submit a run", tags: ["runs"],
 *     body: SubmitBody, responses: { 200: { description: "queued", schema: SubmitResponse } },
 *   });
 *   app.post("/runs", async ({ request }) => { const body = await submit.body(request); … }, { parse: "none" });
 *
 * Query schemas are `Type.Object` of String / Number / Integer / Boolean / Array(String) fields;
 * values are converted from the query string with pydantic's rules (last value wins, lax
 * booleans, `int_parsing`, `greater_than_equal`, …). JSON bodies are read with the hostile-input
 * checks of validation.ts (size, depth, surrogates, content type) and then checked against the
 * schema; every problem is collected into one 422, with pydantic's `type`, `loc`, `msg`, `input`.
 */
import type { Static, TObject, TSchema } from "@sinclair/typebox";
import type { RouteContext } from "./route-context.ts";
import type { JsonSchema, RouteDoc } from "./routes/openapi.ts";
import { isPlainObject, issue, readJsonObject, RequestValidationError, type Loc, type ValidationIssue } from "./validation.ts";

/** How much of a rejected string a 422 echoes back. */
const ECHO_MAX = 200;

type Schema = Record<string, any>;

function typesOf(schema: Schema): string[] {
  return Array.isArray(schema.type) ? schema.type : typeof schema.type === "string" ? [schema.type] : [];
}

function typeIssue(type: string, loc: Loc, input: unknown, atBodyRoot: boolean): ValidationIssue {
  switch (type) {
    case "string": return issue.stringType(loc, input);
    case "integer": return { type: "int_type", loc, msg: "Input should be a valid integer", input };
    case "number": return { type: "float_type", loc, msg: "Input should be a valid number", input };
    case "boolean": return { type: "bool_type", loc, msg: "Input should be a valid boolean", input };
    case "array": return issue.listType(loc, input);
    case "null": return { type: "none_required", loc, msg: "Input should be None", input };
    default: return atBodyRoot ? issue.modelType(loc, input) : issue.dictType(loc, input);
  }
}

function matchesType(type: string, v: unknown): boolean {
  switch (type) {
    case "string": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "null": return v === null;
    case "object": return isPlainObject(v);
    default: return true;
  }
}

/**
 * Every problem of `value` against `schema`, as pydantic would report it (collect-all). Reads the
 * JSON Schema keywords TypeBox produces (type, properties, required, items, anyOf/oneOf, enum,
 * const, min/maxLength, pattern, minimum/maximum, maxItems, $ref via `resolve`); extra object
 * fields are allowed (pydantic ignores them).
 */
/**
 * Compile-time checks that a schema describes exactly a shared response type:
 * `export type Checks = [Check<Same<Static<typeof XSchema>, X>>]` fails `bun run typecheck` on a mismatch.
 */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Check<T extends true> = T;
/** A type without its index signature (`[k: string]: unknown`), so only the named fields are compared. */
export type KnownFields<T> = { [K in keyof T as string extends K ? never : K]: T[K] };

export function schemaIssues(schema: TSchema | Schema, value: unknown, loc: Loc, resolve: (ref: string) => Schema | undefined = () => undefined): ValidationIssue[] {
  let s = schema as Schema;
  for (let i = 0; typeof s?.$ref === "string" && i < 10; i++) s = resolve(s.$ref) ?? {};
  const variants = s.anyOf ?? s.oneOf;
  if (Array.isArray(variants)) {
    const results = variants.map((v: Schema) => schemaIssues(v, value, loc, resolve));
    if (results.some((r) => r.length === 0)) return [];
    // Optional[X] given something else: report X's problem, as pydantic does for nullable fields.
    const nonNull = variants.findIndex((v: Schema) => !(typesOf(v).length === 1 && v.type === "null"));
    return results[nonNull >= 0 ? nonNull : 0]!;
  }
  if (s.const !== undefined && value !== s.const) {
    return [{ type: "literal_error", loc, msg: `Input should be ${JSON.stringify(s.const)}`, input: value, ctx: { expected: JSON.stringify(s.const) } }];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) {
    const expected = s.enum.map((e: unknown) => JSON.stringify(e)).join(", ");
    return [{ type: "enum", loc, msg: `Input should be ${expected}`, input: value, ctx: { expected } }];
  }
  const types = typesOf(s);
  if (types.length && !types.some((t) => matchesType(t, value))) {
    return [typeIssue(types.find((t) => t !== "null") ?? types[0]!, loc, value, loc.length === 1 && loc[0] === "body")];
  }
  const out: ValidationIssue[] = [];
  if (typeof value === "string") {
    if (s.minLength !== undefined && value.length < s.minLength) out.push(issue.tooShort(loc, value, s.minLength));
    else if (s.maxLength !== undefined && value.length > s.maxLength) out.push(issue.tooLong(loc, value.slice(0, ECHO_MAX), s.maxLength));
    else if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(value)) out.push(issue.pattern(loc, value, s.pattern));
  } else if (typeof value === "number") {
    if (s.minimum !== undefined && value < s.minimum) out.push(issue.ge(loc, value, s.minimum));
    else if (s.maximum !== undefined && value > s.maximum) out.push(issue.le(loc, value, s.maximum));
  } else if (Array.isArray(value)) {
    if (s.maxItems !== undefined && value.length > s.maxItems) return [issue.tooManyItems(loc, s.maxItems, value.length)];
    if (s.items) value.forEach((item, i) => out.push(...schemaIssues(s.items, item, [...loc, i], resolve)));
  } else if (isPlainObject(value)) {
    for (const name of (s.required ?? []) as string[]) if (!(name in value)) out.push(issue.missing([...loc, name], value));
    for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
      if (value[name] !== undefined) out.push(...schemaIssues(sub, value[name], [...loc, name], resolve));
    }
    if (isPlainObject(s.additionalProperties)) {
      for (const [name, v] of Object.entries(value)) if (!(name in (s.properties ?? {}))) out.push(...schemaIssues(s.additionalProperties, v, [...loc, name], resolve));
    }
  }
  return out;
}

/** The object with the schema's `default`s filled in for absent top-level fields. */
function withDefaults<T>(schema: Schema, value: Record<string, unknown>): T {
  const out = { ...value };
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    if (out[name] === undefined && sub.default !== undefined) out[name] = structuredClone(sub.default);
  }
  return out as T;
}

/** Check a value against a schema; throw one 422 with every problem. */
export function validate<T extends TSchema>(schema: T, value: unknown, loc: Loc = ["body"]): Static<T> {
  const issues = schemaIssues(schema, value, loc);
  if (issues.length) throw new RequestValidationError(issues);
  return (isPlainObject(value) ? withDefaults(schema as Schema, value) : value) as Static<T>;
}

// ---------------------------------------------------------------------------------------------
// Query strings

const TRUE_WORDS = ["1", "true", "yes", "on", "t", "y"];
const FALSE_WORDS = ["0", "false", "no", "off", "f", "n"];

/** One query value converted as FastAPI/pydantic would, or the issue. */
function convertQueryValue(s: Schema, raw: string, loc: Loc): { value?: unknown; issue?: ValidationIssue } {
  const type = typesOf(s).find((t) => t !== "null") ?? "string";
  switch (type) {
    case "number": {
      const n = raw.trim() === "" ? NaN : Number(raw.trim());
      if (!Number.isFinite(n)) return { issue: issue.floatParsing(loc, raw) };
      if (s.minimum !== undefined && n < s.minimum) return { issue: issue.ge(loc, raw, s.minimum) };
      if (s.maximum !== undefined && n > s.maximum) return { issue: issue.le(loc, raw, s.maximum) };
      return { value: n };
    }
    case "integer": {
      if (!/^\s*[-+]?\d+\s*$/.test(raw)) return { issue: issue.intParsing(loc, raw) };
      const n = Number(raw.trim());
      if (s.minimum !== undefined && n < s.minimum) return { issue: issue.ge(loc, raw, s.minimum) };
      if (s.maximum !== undefined && n > s.maximum) return { issue: issue.le(loc, raw, s.maximum) };
      return { value: n };
    }
    case "boolean": {
      const v = raw.trim().toLowerCase();
      if (TRUE_WORDS.includes(v)) return { value: true };
      if (FALSE_WORDS.includes(v)) return { value: false };
      return { issue: issue.boolParsing(loc, raw) };
    }
    default: {
      const problems = schemaIssues(s, raw, loc);
      return problems.length ? { issue: problems[0]! } : { value: raw };
    }
  }
}

/**
 * Parse a query string against a `Type.Object` of scalar fields and `Type.Array(Type.String())`
 * lists (repeatable `?include=a&include=b`; comma lists are not split). The last value of a scalar
 * wins (FastAPI). Absent fields get the schema's `default`, else stay undefined (arrays: []).
 */
export function parseQueryWith<T extends TObject>(schema: T, params: URLSearchParams): Static<T> {
  const issues: ValidationIssue[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties as Record<string, Schema>)) {
    const all = params.getAll(name);
    if (typesOf(prop).includes("array")) { out[name] = all; continue; }
    const raw = all.length ? all[all.length - 1]! : undefined;
    if (raw === undefined) {
      if (prop.default !== undefined) out[name] = prop.default;
      else if ((schema.required ?? []).includes(name)) issues.push(issue.missing(["query", name], null));
      continue;
    }
    const r = convertQueryValue(prop, raw, ["query", name]);
    if (r.issue) issues.push(r.issue); else out[name] = r.value;
  }
  if (issues.length) throw new RequestValidationError(issues);
  return out as Static<T>;
}

/** A JSON copy of a TypeBox schema (drops TypeBox's symbol keys) for the OpenAPI document. */
function plain(schema: TSchema | Schema): JsonSchema {
  return JSON.parse(JSON.stringify(schema));
}

/** OpenAPI `parameters` entries of a query schema. */
export function queryParametersOf(schema: TObject): JsonSchema[] {
  return Object.entries(schema.properties as Record<string, Schema>).map(([name, prop]) => {
    const { description, ...rest } = plain(prop) as Schema;
    const isList = typesOf(prop).includes("array");
    const required = (schema.required ?? []).includes(name) && prop.default === undefined && !isList;
    return { name, in: "query", required, ...(description ? { description } : {}), schema: rest, ...(isList ? { style: "form", explode: true } : {}) };
  });
}

// ---------------------------------------------------------------------------------------------
// The route helper

export interface RouteSchemas<Q extends TObject | undefined, B extends TSchema | undefined> {
  method: RouteDoc["method"];
  /** OpenAPI path form, e.g. `/runs/{run_id}`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Path parameters: name → description (always strings). */
  pathParams?: Record<string, string>;
  query?: Q;
  /** JSON body schema. */
  body?: B;
  /** An absent or empty body is allowed (and read as `{}`). @default false */
  bodyOptional?: boolean;
  /** A non-JSON request body (e.g. multipart) described for OpenAPI only; the route reads it itself. */
  rawBody?: { contentType: string; schema: TSchema | JsonSchema };
  responses: Record<number, { description: string; schema?: TSchema | JsonSchema; contentType?: string }>;
}

export interface RouteValidators<Q extends TObject | undefined, B extends TSchema | undefined> {
  /** The validated query (422 on problems). */
  query(request: Request): Q extends TObject ? Static<Q> : Record<string, never>;
  /** The validated JSON body (422 on problems). */
  body(request: Request): Promise<B extends TSchema ? Static<B> : never>;
}

/** The OpenAPI entry of a route described by its schemas. */
export function routeDoc(spec: RouteSchemas<TObject | undefined, TSchema | undefined>): RouteDoc {
  const parameters: JsonSchema[] = [
    ...Object.entries(spec.pathParams ?? {}).map(([name, description]) => ({ name, in: "path", required: true, description, schema: { type: "string" } })),
    ...(spec.query ? queryParametersOf(spec.query) : []),
  ];
  const requestBody = spec.body
    ? { contentType: "application/json", schema: plain(spec.body), required: !spec.bodyOptional }
    : spec.rawBody ? { contentType: spec.rawBody.contentType, schema: plain(spec.rawBody.schema) } : undefined;
  const responses: RouteDoc["responses"] = {};
  for (const [code, r] of Object.entries(spec.responses)) {
    responses[Number(code)] = { description: r.description, ...(r.schema ? { schema: plain(r.schema) } : {}), ...(r.contentType ? { contentType: r.contentType } : {}) };
  }
  return {
    method: spec.method, path: spec.path, summary: spec.summary, ...(spec.description ? { description: spec.description } : {}),
    ...(spec.tags ? { tags: spec.tags } : {}), ...(parameters.length ? { parameters } : {}), ...(requestBody ? { requestBody } : {}), responses,
  };
}

/** Describe a route in /openapi.json and get its validators, both from the same schemas. */
export function defineRoute<Q extends TObject | undefined = undefined, B extends TSchema | undefined = undefined>(
  ctx: Pick<RouteContext, "describe">, spec: RouteSchemas<Q, B>,
): RouteValidators<Q, B> {
  ctx.describe(routeDoc(spec as RouteSchemas<TObject | undefined, TSchema | undefined>));
  return {
    query: (request) => (spec.query ? parseQueryWith(spec.query, new URL(request.url).searchParams) : {}) as never,
    body: async (request) => {
      if (!spec.body) throw new Error(`route ${spec.method} ${spec.path} has no body schema`);
      const raw = await readJsonObject(request, { optional: spec.bodyOptional });
      return validate(spec.body, raw) as never;
    },
  };
}

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document built from the route descriptions every plugin
 * registers with `ctx.describe(...)` (the same query specs the routes validate with), so the
 * document cannot drift from the routes. FastAPI serves the same path (http-contract.md §0.3).
 */
import pkg from "../../../package.json" with { type: "json" };
import type { RoutePlugin } from "../route-context.ts";
import { ok } from "../http-errors.ts";

export type JsonSchema = Record<string, unknown>;

export interface RouteDoc {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path form, e.g. `/runs/{run_id}`. */
  path: string;
  summary: string;
  description?: string;
  tags?: string[];
  /** Path and query parameters (see `queryParametersOf()` in schema.ts and `pathParam()`). */
  parameters?: JsonSchema[];
  requestBody?: { contentType: string; schema: JsonSchema; required?: boolean };
  /** Responses other than the common 422/503, keyed by status code. */
  responses: Record<number, { description: string; schema?: JsonSchema; contentType?: string }>;
}

export const OPENAPI_TITLE = "pyoco (HTTP gateway)";

/** A required string path parameter. */
export function pathParam(name: string, description: string): JsonSchema {
  return { name, in: "path", required: true, description, schema: { type: "string" } };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const COMPONENTS = {
  schemas: {
    HTTPError: { type: "object", required: ["detail"], properties: { detail: { type: "string" } } },
    ValidationError: {
      type: "object", required: ["type", "loc", "msg", "input"],
      properties: {
        type: { type: "string" }, loc: { type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } },
        msg: { type: "string" }, input: {}, ctx: { type: "object" },
      },
    },
    HTTPValidationError: { type: "object", properties: { detail: { type: "array", items: ref("ValidationError") } } },
  },
};

function operation(doc: RouteDoc): JsonSchema {
  const responses: Record<string, unknown> = {};
  for (const [code, r] of Object.entries(doc.responses)) {
    const status = Number(code);
    const schema = r.schema ?? (status >= 400 ? ref("HTTPError") : undefined);
    responses[code] = { description: r.description, ...(schema ? { content: { [r.contentType ?? "application/json"]: { schema } } } : {}) };
  }
  if (doc.parameters?.length || doc.requestBody) {
    responses["422"] ??= { description: "Validation Error", content: { "application/json": { schema: ref("HTTPValidationError") } } };
  }
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(doc.tags ? { tags: doc.tags } : {}),
    operationId: `${doc.method}_${doc.path.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, "")}`,
    ...(doc.parameters?.length ? { parameters: doc.parameters } : {}),
    ...(doc.requestBody ? {
      requestBody: { required: doc.requestBody.required ?? true, content: { [doc.requestBody.contentType]: { schema: doc.requestBody.schema } } },
    } : {}),
    responses,
  };
}

/** The whole document for a list of route descriptions. */
export function buildOpenApi(docs: RouteDoc[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const doc of docs) (paths[doc.path] ??= {})[doc.method] = operation(doc);
  return {
    openapi: "3.1.0",
    info: {
      title: OPENAPI_TITLE, version: pkg.version,
      description: "HTTP gateway of pyoco: submit, inspect, list and cancel Pyoco runs stored in NATS JetStream. Wire-compatible with pyoco-server 0.7.0.",
    },
    paths,
    components: COMPONENTS,
  };
}

/** Registers `GET /openapi.json`; `docs` is read on each request so late plugins are included. */
export function openApiRoutes(docs: () => RouteDoc[]): RoutePlugin {
  return (app, ctx) => {
    ctx.describe({
      method: "get", path: "/openapi.json", summary: "This OpenAPI document", tags: ["meta"],
      responses: { 200: { description: "OpenAPI 3.1 document", schema: { type: "object" } } },
    });
    let cached: JsonSchema | undefined;
    return app.get("/openapi.json", () => ok((cached ??= buildOpenApi(docs()))));
  };
}

/** schema.ts: one TypeBox schema gives pydantic-shaped 422 issues, converted queries and the OpenAPI entry. */
import { describe, expect, test } from "bun:test";
import { Type } from "@sinclair/typebox";
import { defineRoute, parseQueryWith, queryParametersOf, schemaIssues, validate } from "../../../src/gateway/schema.ts";
import { RequestValidationError } from "../../../src/gateway/validation.ts";
import type { RouteDoc } from "../../../src/gateway/routes/openapi.ts";
import { RunSubmitRequest } from "../../../src/gateway/routes/run-schemas.ts";

describe("schemaIssues (pydantic v2 types, locations, messages)", () => {
  test("missing fields carry the whole body as input; type errors are reported per field and item", () => {
    const body = { params: 3, tags: ["a", 1] };
    expect(schemaIssues(RunSubmitRequest, body, ["body"])).toEqual([
      { type: "missing", loc: ["body", "flow_name"], msg: "Field required", input: body },
      { type: "dict_type", loc: ["body", "params"], msg: "Input should be a valid dictionary", input: 3 },
      { type: "string_type", loc: ["body", "tags", 1], msg: "Input should be a valid string", input: 1 },
    ]);
  });
  test("a body that is not an object is model_attributes_type; lengths, patterns and Optional[str]", () => {
    expect(schemaIssues(RunSubmitRequest, [1], ["body"])[0]).toMatchObject({ type: "model_attributes_type", loc: ["body"] });
    expect(schemaIssues(RunSubmitRequest, { flow_name: "", tag: "a.b" }, ["body"])).toEqual([
      { type: "string_too_short", loc: ["body", "flow_name"], msg: "String should have at least 1 character", input: "", ctx: { min_length: 1 } },
      { type: "string_pattern_mismatch", loc: ["body", "tag"], msg: "String should match pattern '^[A-Za-z0-9_-]+$'", input: "a.b", ctx: { pattern: "^[A-Za-z0-9_-]+$" } },
    ]);
    expect(schemaIssues(RunSubmitRequest, { flow_name: "m", tag: null }, ["body"])).toEqual([]);
    expect(schemaIssues(RunSubmitRequest, { flow_name: "m", tag: 5 }, ["body"])).toEqual([{ type: "string_type", loc: ["body", "tag"], msg: "Input should be a valid string", input: 5 }]);
  });
  test("validate throws one 422 with every problem, and fills defaults", () => {
    expect(() => validate(RunSubmitRequest, {})).toThrow(RequestValidationError);
    expect(validate(RunSubmitRequest, { flow_name: "m" })).toEqual({ flow_name: "m", params: {}, tags: [] });
  });
});

describe("query schemas", () => {
  const Q = Type.Object({
    status: Type.Optional(Type.String({ description: "exact status" })),
    since: Type.Optional(Type.Number()),
    on: Type.Boolean({ default: false }),
    include: Type.Array(Type.String()),
    limit: Type.Integer({ default: 50, minimum: 1, maximum: 200, description: "page size" }),
  });
  test("defaults, conversions, repeated lists; the last scalar value wins", () => {
    expect(parseQueryWith(Q, new URLSearchParams("include=a&include=b,c&limit=3&limit=7&on=yes"))).toEqual({ include: ["a", "b,c"], limit: 7, on: true });
    expect(parseQueryWith(Q, new URLSearchParams(""))).toEqual({ include: [], limit: 50, on: false });
  });
  test("every problem is collected with pydantic's parsing and range messages", () => {
    let err: RequestValidationError | undefined;
    try { parseQueryWith(Q, new URLSearchParams("since=x&on=maybe&limit=0")); } catch (e) { err = e as RequestValidationError; }
    expect(err!.issues.map((i) => [i.type, i.loc, i.input])).toEqual([
      ["float_parsing", ["query", "since"], "x"], ["bool_parsing", ["query", "on"], "maybe"], ["greater_than_equal", ["query", "limit"], "0"],
    ]);
    expect(err!.issues[2]).toEqual({ type: "greater_than_equal", loc: ["query", "limit"], msg: "Input should be greater than or equal to 1", input: "0", ctx: { ge: 1 } });
    const first = (query: string) => { try { parseQueryWith(Q, new URLSearchParams(query)); } catch (e) { return (e as RequestValidationError).issues[0]; } throw new Error("accepted"); };
    expect(first("limit=500")).toMatchObject({ type: "less_than_equal", input: "500", ctx: { le: 200 } });
    expect(first("limit=1.5")).toMatchObject({ type: "int_parsing", input: "1.5" });
  });
  test("the same schema gives the OpenAPI parameters", () => {
    const params = queryParametersOf(Q);
    expect(params.find((p) => p.name === "limit")).toEqual({ name: "limit", in: "query", required: false, description: "page size", schema: { type: "integer", default: 50, minimum: 1, maximum: 200 } });
    expect(params.find((p) => p.name === "include")).toMatchObject({ schema: { type: "array", items: { type: "string" } }, explode: true });
  });
});

test("defineRoute describes the route and validates with the same schemas", async () => {
  const docs: RouteDoc[] = [];
  const Body = Type.Object({ name: Type.String({ maxLength: 3 }) });
  const route = defineRoute({ describe: (d) => docs.push(d) }, {
    method: "post", path: "/things/{id}", summary: "Make a thing", pathParams: { id: "thing id" }, body: Body,
    responses: { 200: { description: "made", schema: Type.Object({ ok: Type.Boolean() }) } },
  });
  expect(docs[0]).toMatchObject({
    method: "post", path: "/things/{id}", parameters: [{ name: "id", in: "path", required: true }],
    requestBody: { contentType: "application/json", required: true, schema: { type: "object", properties: { name: { type: "string", maxLength: 3 } } } },
    responses: { 200: { description: "made", schema: { type: "object", properties: { ok: { type: "boolean" } } } } },
  });
  const req = (body: string) => new Request("http://localhost/things/1", { method: "POST", body, headers: { "content-type": "application/json" } });
  expect(await route.body(req('{"name":"abc"}'))).toEqual({ name: "abc" });
  await expect(route.body(req('{"name":"abcd"}'))).rejects.toThrow(RequestValidationError);
});

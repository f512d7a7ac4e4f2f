/** FastAPI/pydantic-shaped validation issues for query strings and JSON bodies. */
import { describe, expect, test } from "bun:test";
import { parseQuery, queryParameters, RequestValidationError, type QuerySpec } from "../../../src/gateway/validation.ts";

const SPEC = {
  name: { kind: "string", description: "n" },
  since: { kind: "float", description: "s" },
  limit: { kind: "int", description: "l", default: 50, ge: 1, le: 200 },
  hidden: { kind: "bool", description: "h", default: false },
  include: { kind: "list", description: "i" },
} satisfies QuerySpec;

function issues(fn: () => unknown) {
  try { fn(); } catch (err) { if (err instanceof RequestValidationError) return err.issues; throw err; }
  throw new Error("no validation error");
}

describe("parseQuery", () => {
  test("applies defaults, types values and keeps every repeated list value", () => {
    expect(parseQuery(new URLSearchParams("include=a&include=b,c&since=1.5&hidden=YES&limit=7&limit=8"), SPEC))
      .toEqual({ name: undefined, since: 1.5, limit: 8, hidden: true, include: ["a", "b,c"] });
    expect(parseQuery(new URLSearchParams(""), SPEC)).toEqual({ name: undefined, since: undefined, limit: 50, hidden: false, include: [] });
  });

  test("collects every problem with pydantic's type, loc, msg, input and ctx", () => {
    expect(issues(() => parseQuery(new URLSearchParams("since=abc&limit=0&hidden=maybe"), SPEC))).toEqual([
      { type: "float_parsing", loc: ["query", "since"], msg: "Input should be a valid number, unable to parse string as a number", input: "abc" },
      { type: "greater_than_equal", loc: ["query", "limit"], msg: "Input should be greater than or equal to 1", input: "0", ctx: { ge: 1 } },
      { type: "bool_parsing", loc: ["query", "hidden"], msg: "Input should be a valid boolean, unable to interpret input", input: "maybe" },
    ]);
    expect(issues(() => parseQuery(new URLSearchParams("limit=500"), SPEC))[0]).toMatchObject({ type: "less_than_equal", ctx: { le: 200 } });
    expect(issues(() => parseQuery(new URLSearchParams("limit=1.5"), SPEC))[0]).toMatchObject({ type: "int_parsing" });
  });

  test("yields OpenAPI parameters with the same constraints", () => {
    const params = queryParameters(SPEC);
    expect(params.find((p) => p.name === "limit")).toMatchObject({ in: "query", schema: { type: "integer", default: 50, minimum: 1, maximum: 200 } });
    expect(params.find((p) => p.name === "include")).toMatchObject({ schema: { type: "array", items: { type: "string" } }, explode: true });
  });
});

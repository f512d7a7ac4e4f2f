/** `client submit` params composition and CSV tags, without a server. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeParams, parseParamPair, splitCsv } from "../../../src/cli/client/params.ts";
import { CliFailure } from "../../../src/cli/errors.ts";

const P = "pyoco client";

describe("--param key=value", () => {
  test("values are JSON when they parse, else trimmed text; an empty value is an empty string", () => {
    expect(parseParamPair("z=99", P)).toEqual(["z", 99]);
    expect(parseParamPair("ok=true", P)).toEqual(["ok", true]);
    expect(parseParamPair("l=[1,2]", P)).toEqual(["l", [1, 2]]);
    expect(parseParamPair('s="quoted"', P)).toEqual(["s", "quoted"]);
    expect(parseParamPair(" name = alice ", P)).toEqual(["name", "alice"]);
    expect(parseParamPair("eq=a=b", P)).toEqual(["eq", "a=b"]);
    expect(parseParamPair("e=", P)).toEqual(["e", ""]);
  });

  test("a missing '=' or an empty key fails with the original's reason and hint", () => {
    const fail = (raw: string) => { try { parseParamPair(raw, P); } catch (e) { return e as CliFailure; } throw new Error("no error"); };
    expect(fail("broken")).toMatchObject({ message: "--param must be key=value ('broken')", hint: "pyoco client submit --param x=1 --param name=alice" });
    expect(fail("=1")).toMatchObject({ message: "--param key is empty ('=1')", hint: "pyoco client submit --param x=1" });
  });
});

describe("composeParams", () => {
  test("later sources win key by key: file < --params < each --param in order", () => {
    const dir = mkdtempSync(join(tmpdir(), "pyoco-params-"));
    try {
      writeFileSync(join(dir, "p.yaml"), "a: 1\nb: file\nc: file\ny: kept\nwhen: 2024-01-02\n");
      const params = composeParams({ file: "p.yaml", json: '{"b": "json", "c": "json"}', pairs: ["c=1", "c=2"], cwd: dir, program: P });
      expect(params).toEqual({ a: 1, b: "json", c: 2, y: "kept", when: "2024-01-02T00:00:00.000Z" });
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  test("--params must be a JSON object", () => {
    expect(() => composeParams({ json: "[]", pairs: [], cwd: ".", program: P })).toThrow("--params must be JSON object");
    expect(() => composeParams({ json: "{", pairs: [], cwd: ".", program: P })).toThrow("--params must be valid JSON object");
  });
});

test("--tags CSV: trimmed, empties dropped, nothing left means not sent", () => {
  expect(splitCsv(" a, b,,c ")).toEqual(["a", "b", "c"]);
  expect(splitCsv(" , ")).toBeUndefined();
  expect(splitCsv(undefined)).toBeUndefined();
});

/** The wire JSON codec matches Python's json.dumps(ensure_ascii=True, separators=(",", ":")). */
import { expect, test } from "bun:test";
import { encodeWireJson } from "../../../src/domain/json.ts";

test("compact separators and insertion order", () => {
  expect(encodeWireJson({ b: 1, a: [1, { c: null }] })).toBe('{"b":1,"a":[1,{"c":null}]}');
});
test("non-ASCII is escaped as \\uXXXX, astral characters as surrogate pairs", () => {
  expect(encodeWireJson({ t: "運用é😀" })).toBe('{"t":"\\u904b\\u7528\\u00e9\\ud83d\\ude00"}');
});

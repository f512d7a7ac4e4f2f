/** The wire JSON codec matches Python's json.dumps(ensure_ascii=True, separators=(",", ":")). */
import { expect, test } from "bun:test";
import { encodeWireJson } from "../../../src/domain/json.ts";

test("compact separators and insertion order", () => {
  expect(encodeWireJson({ b: 1, a: [1, { c: null }] })).toBe('{"b":1,"a":[1,{"c":null}]}');
});
test("non-ASCII is escaped as \\uXXXX, astral characters as surrogate pairs", () => {
  expect(encodeWireJson({ t: "運用é😀" })).toBe('{"t":"\\u904b\\u7528\\u00e9\\ud83d\\ude00"}');
});

// issue 10: non-finite floats travel as Python writes them, and HTTP clients get null + a marker.
import { parseWireText, toClientJson } from "../../../src/domain/json.ts";
import { formatSseFrame } from "../../../src/gateway/sse.ts";
import { pyJson } from "../../../src/cli/py-json.ts";

test("NaN and ±Infinity are written as Python's json.dumps writes them", () => {
  expect(encodeWireJson({ a: NaN, b: [Infinity, -Infinity, null], c: "NaN" })).toBe('{"a":NaN,"b":[Infinity,-Infinity,null],"c":"NaN"}');
  expect(pyJson({ a: NaN })).toBe('{"a": NaN}');
});

test("Python's tokens are read back as numbers; the same words inside strings stay strings", () => {
  const v = parseWireText('{"a":NaN,"b":[Infinity,-Infinity],"s":"NaN Infinity","t":"x\\"NaN"}') as any;
  expect(Number.isNaN(v.a)).toBe(true);
  expect(v.b).toEqual([Infinity, -Infinity]);
  expect(v.s).toBe("NaN Infinity");
  expect(v.t).toBe('x"NaN');
  expect(() => parseWireText("{nope}")).toThrow();
  expect(() => parseWireText("NaNa")).toThrow();
});

test("clients get null plus a non_finite marker: on the object, or on each item of a list", () => {
  expect(toClientJson({ a: 1 })).toEqual({ a: 1 });
  expect(toClientJson({ p: { x: NaN, y: [1, -Infinity] } })).toEqual({ p: { x: null, y: [1, null] }, non_finite: { "p.x": "NaN", "p.y.1": "-Infinity" } });
  expect(toClientJson([{ a: 1 }, { b: Infinity }])).toEqual([{ a: 1 }, { b: null, non_finite: { b: "Infinity" } }]);
  expect(toClientJson({ items: [{ b: NaN }], next_cursor: null })).toEqual({ items: [{ b: null, non_finite: { b: "NaN" } }], next_cursor: null });
});

test("an SSE frame carrying a NaN snapshot is strict JSON", () => {
  const frame = formatSseFrame({ event: "snapshot", data: { run_id: "r", snapshot: { params: { x: NaN } } } });
  const data = JSON.parse(frame.split("data: ")[1]!);
  expect(data.snapshot.params.x).toBeNull();
  expect(data.non_finite).toEqual({ "snapshot.params.x": "NaN" });
});

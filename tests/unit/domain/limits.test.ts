import { describe, expect, test } from "bun:test";
import { isValidKvKey, isValidTag } from "../../../src/domain/job.ts";
import { findLoneSurrogate, hasLoneSurrogate, jsonDepthExceeds, MAX_KEY_LENGTH, MAX_TAG_LENGTH, valueDepthExceeds } from "../../../src/domain/limits.ts";

describe("input limits", () => {
  test("jsonDepthExceeds counts nesting outside strings only", () => {
    expect(jsonDepthExceeds("[[[]]]", 3)).toBe(false);
    expect(jsonDepthExceeds("[[[[]]]]", 3)).toBe(true);
    expect(jsonDepthExceeds('["[[[[[[", "\\"[[[["]', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(jsonDepthExceeds("[".repeat(100_000), 500)).toBe(true);
  });

  test("valueDepthExceeds on parsed values", () => {
    let v: unknown = 1;
    for (let i = 0; i < 10; i++) v = { a: v };
    expect(valueDepthExceeds(v, 10)).toBe(false);
    expect(valueDepthExceeds(v, 9)).toBe(true);
    expect(valueDepthExceeds([[1]], 2)).toBe(false);
  });

  test("lone surrogates are found with their path; pairs are fine", () => {
    expect(hasLoneSurrogate("a\ud83d\ude00b")).toBe(false);
    expect(hasLoneSurrogate("a\ud83d")).toBe(true);
    expect(hasLoneSurrogate("\ude00a")).toBe(true);
    expect(findLoneSurrogate({ a: [1, "ok", { b: "x\ud800" }] })).toEqual(["a", 2, "b"]);
    expect(findLoneSurrogate({ ["k\udc00"]: 1 })).toEqual(["k\udc00"]);
    expect(findLoneSurrogate({ a: "\ud83d\ude00" })).toBeNull();
  });

  test("keys and tags have a length bound", () => {
    expect(isValidKvKey("a".repeat(MAX_KEY_LENGTH))).toBe(true);
    expect(isValidKvKey("a".repeat(MAX_KEY_LENGTH + 1))).toBe(false);
    expect(isValidKvKey(null)).toBe(false);
    expect(isValidTag("t".repeat(MAX_TAG_LENGTH))).toBe(true);
    expect(isValidTag("t".repeat(MAX_TAG_LENGTH + 1))).toBe(false);
  });
});

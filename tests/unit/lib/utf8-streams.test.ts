/** Runner stderr reaches the worker's console in chunks that can end inside a character (Japanese output). */
import { expect, test } from "bun:test";
import { Utf8Streams } from "../../../src/lib/utf8-streams.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

test("a character split across chunks comes out whole, for every cut of a mixed-width text", () => {
  const text = "進捗 50% ✓ done 🚀 完了\n";
  const all = bytes(text);
  for (let cut = 0; cut <= all.length; cut++) {
    const s = new Utf8Streams<number>();
    expect(s.decode(1, all.subarray(0, cut)) + s.decode(1, all.subarray(cut))).toBe(text);
    expect(s.pending).toBe(0);
  }
});

test("streams are kept apart, and a stream that ends mid-character only holds those bytes", () => {
  const s = new Utf8Streams<number>();
  const a = bytes("あ"), b = bytes("い");
  expect(s.decode(1, a.subarray(0, 2))).toBe("");
  expect(s.decode(2, b.subarray(0, 1))).toBe("");
  expect(s.pending).toBe(2);
  expect(s.decode(2, b.subarray(1))).toBe("い");
  expect(s.decode(1, a.subarray(2))).toBe("あ");
  expect(s.pending).toBe(0);
});

test("invalid bytes are replaced, not held back forever", () => {
  const s = new Utf8Streams<number>();
  expect(s.decode(1, new Uint8Array([0x61, 0xff, 0x62]))).toBe("a\uFFFDb");
  expect(s.decode(1, new Uint8Array([0x80, 0x80, 0x80, 0x80]))).toBe("\uFFFD".repeat(4));
  expect(s.pending).toBe(0);
});

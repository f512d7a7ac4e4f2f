// Scope: LineSplitter — byte chunks to complete lines, over-long lines, partial line at EOF.
import { describe, expect, test } from "bun:test";
import { LineSplitter, type LineEvent } from "../../../src/runner/lines.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const texts = (events: LineEvent[]) => events.map((e) => (e.kind === "line" ? dec.decode(e.bytes) : e.kind));

describe("LineSplitter", () => {
  test("splits one chunk into several lines and keeps the rest", () => {
    const s = new LineSplitter();
    expect(texts(s.push(enc.encode("a\nbb\nccc")))).toEqual(["a", "bb"]);
    expect(texts(s.push(enc.encode("c\n")))).toEqual(["cccc"]);
    expect(s.end()).toBeNull();
  });

  test("joins a line spread over many chunks", () => {
    const s = new LineSplitter();
    const out: LineEvent[] = [];
    for (const ch of ["{\"a\"", ":", "1}", "\n"]) out.push(...s.push(enc.encode(ch)));
    expect(texts(out)).toEqual(['{"a":1}']);
  });

  test("a multi-byte character split across chunks survives", () => {
    const bytes = enc.encode("héllo €𝄞\n");
    const s = new LineSplitter();
    const out: LineEvent[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
    expect(texts(out)).toEqual(["héllo €𝄞"]);
  });

  test("empty lines are reported as empty", () => {
    expect(texts(new LineSplitter().push(enc.encode("\n\nx\n")))).toEqual(["", "", "x"]);
  });

  test("a line over the cap is dropped and reported, the next line is intact", () => {
    const s = new LineSplitter(16);
    const out = [
      ...s.push(enc.encode("x".repeat(10))),
      ...s.push(enc.encode("y".repeat(100))),
      ...s.push(enc.encode("z".repeat(5) + "\nok\n")),
    ];
    expect(out[0]).toEqual({ kind: "too_long", size: 115 });
    expect(texts(out.slice(1))).toEqual(["ok"]);
  });

  test("a huge line (5 MiB) against the default 1 MiB cap", () => {
    const s = new LineSplitter();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const out: LineEvent[] = [];
    for (let i = 0; i < 80; i++) out.push(...s.push(chunk));
    out.push(...s.push(enc.encode("\n{}\n")));
    expect(out.map((e) => e.kind)).toEqual(["too_long", "line"]);
    expect(out[0]).toEqual({ kind: "too_long", size: 80 * 64 * 1024 });
  });

  test("a line of exactly the cap is accepted", () => {
    const s = new LineSplitter(8);
    expect(texts(s.push(enc.encode("12345678\n")))).toEqual(["12345678"]);
  });

  test("a partial line at EOF is reported, not delivered as a line", () => {
    const s = new LineSplitter();
    s.push(enc.encode("done\nhalf"));
    const rest = s.end();
    expect(rest?.kind).toBe("partial_at_eof");
    expect(rest && rest.kind === "partial_at_eof" ? dec.decode(rest.bytes) : "").toBe("half");
    expect(s.end()).toBeNull();
  });

  test("the caller may reuse its chunk buffer", () => {
    const s = new LineSplitter();
    const buf = enc.encode("abc");
    s.push(buf);
    buf.fill(0x7a);
    expect(texts(s.push(enc.encode("\n")))).toEqual(["abc"]);
  });
});

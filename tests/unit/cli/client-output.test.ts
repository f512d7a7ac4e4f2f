/** Output formats of `pyoco client`: the original's table layout and the SSE frame parser. */
import { describe, expect, test } from "bun:test";
import { humanTime, localIso, relativeTime, renderTable, RUN_COLUMNS, runTimeFormats } from "../../../src/cli/client/table.ts";
import { parseSse, sseJson, type SseMessage } from "../../../src/client/sse.ts";

describe("renderTable", () => {
  test("left-justifies each column to its widest cell, two spaces apart, trailing padding kept", () => {
    const text = renderTable(["id", "status"], [{ id: "a", status: "RUNNING" }, { id: "abcdef", status: null }]);
    expect(text).toBe("id      status \na       RUNNING\nabcdef  -      \n");
  });
  test("no rows prints (no items)", () => {
    expect(renderTable(RUN_COLUMNS, [])).toBe("(no items)\n");
  });
  test("numbers and booleans print as Python's str() would", () => {
    expect(renderTable(["u", "b"], [{ u: 1795279189.9678118, b: true }])).toBe("u                   b   \n1795279189.9678118  True\n");
  });
});

function stream(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({ start(c) { for (const ch of chunks) c.enqueue(enc.encode(ch)); c.close(); } });
}

async function collect(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const m of parseSse(stream(chunks))) out.push(m);
  return out;
}

describe("times for people", () => {
  test("local ISO date and time, read back as the same instant", () => {
    const t = 1795279189.96;
    expect(localIso(t)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(new Date(localIso(t).replace(" ", "T")).getTime()).toBe(Math.floor(t) * 1000);
  });
  test("relative: seconds, minutes, hours, days; past and future", () => {
    expect([relativeTime(100, 142), relativeTime(0, 300), relativeTime(0, 7300), relativeTime(0, 200000), relativeTime(50, 20)])
      .toEqual(["42s ago", "5m ago", "2h ago", "2d ago", "in 30s"]);
  });
  test("missing or zero times show as '-'; tables format their time columns", () => {
    expect([humanTime(null), humanTime(0), humanTime("x")]).toEqual(["-", "-", "-"]);
    const text = renderTable(["run_id", "updated_at"], [{ run_id: "r", updated_at: 1000 }], runTimeFormats(1060));
    expect(text.split("\n")[1]).toBe(`r       ${localIso(1000)} (1m ago)`);
  });
});

describe("parseSse", () => {
  test("reads event, id and multi-line data; a blank line dispatches; the default name is message", async () => {
    expect(await collect(["id: 7\nevent: snapshot\ndata: {\"a\":\ndata: 1}\n\n", "data: plain\n\n"])).toEqual([
      { event: "snapshot", id: "7", data: '{"a":\n1}' },
      { event: "message", id: "7", data: "plain" },
    ]);
  });

  test("handles frames split anywhere, CRLF and CR line ends, comments, a BOM and multi-byte text", async () => {
    const text = "\ufeff: comment\r\nevent: heartbeat\r\ndata: é✓\r\n\r\nevent: x\rdata: y\r\r";
    const bytes = new TextEncoder().encode(text);
    // One byte per chunk: multi-byte characters and CRLF pairs are split across chunks.
    const s = new ReadableStream<Uint8Array>({ start(c) { for (const b of bytes) c.enqueue(new Uint8Array([b])); c.close(); } });
    const out: SseMessage[] = [];
    for await (const m of parseSse(s)) out.push(m);
    expect(out).toEqual([{ event: "heartbeat", data: "é✓" }, { event: "x", data: "y" }]);
  });

  test("an event cut off by the end of the stream is dropped; retry is read", async () => {
    expect(await collect(["retry: 1500\ndata: a\n\ndata: partial"])).toEqual([{ event: "message", data: "a", retry: 1500 }]);
  });

  test("sseJson parses JSON and wraps anything else as {raw}", () => {
    expect(sseJson('{"run_id":"r"}')).toEqual({ run_id: "r" });
    expect(sseJson("not json")).toEqual({ raw: "not json" });
  });
});

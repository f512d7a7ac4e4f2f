/**
 * Issue 10 items 3, 4, 5, 7, 8: hostile requests get a 4xx with {"detail": …} before anything
 * reaches NATS, and the gateway stays connected and serving. Real nats-server, real sockets.
 */
import { describe, expect, test } from "bun:test";
import { MAX_FLOW_NAME_LENGTH, MAX_JSON_DEPTH, MAX_TAG_LENGTH, MAX_TAGS } from "../../../src/domain/limits.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const MAX_BODY = 3 * 1024 * 1024;
const file = gatewayForFile({ httpMaxBodyBytes: MAX_BODY });

async function send(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(file.gw.baseUrl + path, { method, body, headers, duplex: "half" } as RequestInit);
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, json, text };
}
const postJson = (path: string, body: string, contentType = "application/json") => send("POST", path, body, { "content-type": contentType });
const submit = (value: unknown) => postJson("/runs", JSON.stringify(value));

/** The gateway still answers a normal submit afterwards (the NATS connection was not dropped). */
async function stillServing() {
  const r = await submit({ flow_name: "main" });
  expect(r.status).toBe(200);
  expect(file.gw.js.connected).toBe(true);
}

describe("malformed paths (item 3)", () => {
  test.each(["/runs/%ff", "/runs/%", "/runs/%ff/tasks", "/runs/%E0%A4%A"])("GET %s → 404 run not found", async (path) => {
    const r = await send("GET", path);
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ detail: "run not found" });
  });

  test("cancel and PATCH /workers with malformed ids → 404", async () => {
    expect((await send("POST", "/runs/%ff/cancel")).status).toBe(404);
    expect((await send("PATCH", "/workers/%c3", JSON.stringify({ hidden: true }), { "content-type": "application/json" })).status).toBe(404);
  });

  test("an id longer than a NATS key may be → 404 without touching NATS", async () => {
    const r = await send("GET", "/runs/" + "a".repeat(5000));
    expect(r.status).toBe(404);
    await stillServing();
  });
});

describe("JSON bodies (items 3, 5, 7)", () => {
  test("JSON nested 100,000 levels → 422 json_invalid, gateway still serving", async () => {
    const r = await postJson("/runs", "[".repeat(100_000) + "]".repeat(100_000));
    expect(r.status).toBe(422);
    expect(r.json.detail[0].type).toBe("json_invalid");
    const inParams = await postJson("/runs", `{"flow_name":"x","params":{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`);
    expect(inParams.status).toBe(422);
    await stillServing();
  });

  test("params nested deeper than Python's json can decode → 422; a sane depth passes", async () => {
    const nest = (n: number) => "{\"a\":".repeat(n) + "1" + "}".repeat(n);
    const deep = await postJson("/runs", `{"flow_name":"x","params":${nest(1000)}}`);
    expect(deep.status).toBe(422);
    expect(deep.json.detail[0].ctx.error).toContain(String(MAX_JSON_DEPTH));
    const fine = await postJson("/runs", `{"flow_name":"x","params":${nest(MAX_JSON_DEPTH - 2)}}`);
    expect(fine.status).toBe(200);
  });

  test("Content-Type text/plain → 422 model_attributes_type, like the original; no run created", async () => {
    const before = file.gw.deps.index.size;
    const r = await postJson("/runs", JSON.stringify({ flow_name: "x" }), "text/plain");
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({ type: "model_attributes_type", loc: ["body"] });
    expect(file.gw.deps.index.size).toBe(before);
    // JSON types still work, with parameters and the +json suffix.
    expect((await postJson("/runs", JSON.stringify({ flow_name: "x" }), "application/json; charset=utf-8")).status).toBe(200);
    expect((await postJson("/runs", JSON.stringify({ flow_name: "x" }), "application/vnd.pyoco+json")).status).toBe(200);
  });

  test.each([
    ["flow_name", '{"flow_name":"a\\ud800b"}', ["body", "flow_name"]],
    ["tag", '{"flow_name":"x","tag":"\\udc00"}', ["body", "tag"]],
    ["tags item", '{"flow_name":"x","tags":["ok","\\ud83d"]}', ["body", "tags", 1]],
    ["params value", '{"flow_name":"x","params":{"k":["\\ud800"]}}', ["body", "params", "k", 0]],
    ["params key", '{"flow_name":"x","params":{"\\udfff":1}}', ["body", "params", "\udfff"]],
  ])("a lone surrogate in %s → 422 string_unicode", async (_what, body, loc) => {
    const r = await postJson("/runs", body as string);
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({ type: "string_unicode", loc });
  });

  test("a proper surrogate pair (emoji) is accepted", async () => {
    expect((await postJson("/runs", '{"flow_name":"x\\ud83d\\ude00"}')).status).toBe(200);
  });
});

describe("length limits (item 4)", () => {
  test("a 4,100-character tag → 422 before NATS; the connection survives", async () => {
    const r = await submit({ flow_name: "x", tag: "a".repeat(4100) });
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({ type: "string_too_long", loc: ["body", "tag"], ctx: { max_length: MAX_TAG_LENGTH } });
    await stillServing();
  });

  test("flow_name, tags count and tag label lengths are bounded", async () => {
    expect((await submit({ flow_name: "f".repeat(MAX_FLOW_NAME_LENGTH + 1) })).status).toBe(422);
    expect((await submit({ flow_name: "f".repeat(MAX_FLOW_NAME_LENGTH) })).status).toBe(200);
    expect((await submit({ flow_name: "x", tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) })).json.detail[0].type).toBe("too_long");
    expect((await submit({ flow_name: "x", tags: ["l".repeat(MAX_TAG_LENGTH + 1)] })).json.detail[0]).toMatchObject({ type: "string_too_long", loc: ["body", "tags", 0] });
    expect((await submit({ flow_name: "x", tag: "t".repeat(MAX_TAG_LENGTH) })).status).toBe(200);
  });

  test("POST /runs/yaml: an over-long tag → 422 invalid tag", async () => {
    const form = new FormData();
    form.set("workflow", new File(["flow:\n  graph: a\n"], "flow.yaml"));
    form.set("flow_name", "main");
    form.set("tag", "t".repeat(MAX_TAG_LENGTH + 1));
    const r = await send("POST", "/runs/yaml", form);
    expect(r.status).toBe(422);
    expect(r.json).toEqual({ detail: "invalid tag" });
  });
});

describe("body limits (item 5)", () => {
  test("a body over PYOCO_HTTP_MAX_BODY_BYTES → 413 (declared length and chunked)", async () => {
    const big = JSON.stringify({ flow_name: "x", params: { blob: "x".repeat(MAX_BODY + 10) } });
    const declared = await postJson("/runs", big);
    expect(declared.status).toBe(413);
    expect(declared.json).toMatchObject({ detail: "request body too large", max_bytes: MAX_BODY });

    const bytes = new TextEncoder().encode(big);
    const chunked = new ReadableStream<Uint8Array>({
      start(c) { for (let i = 0; i < bytes.length; i += 65536) c.enqueue(bytes.subarray(i, i + 65536)); c.close(); },
    });
    const r = await send("POST", "/runs", chunked, { "content-type": "application/json" });
    expect(r.status).toBe(413);
    await stillServing();
  });

  test("a job over NATS's max payload → 413 job too large (not 503); nothing is stored", async () => {
    const before = file.gw.deps.index.size;
    const r = await submit({ flow_name: "x", params: { blob: "x".repeat(1_200_000) } });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ detail: "job too large" });
    expect(file.gw.deps.index.size).toBe(before);
    await stillServing();
  });
});

describe("readiness (item 8)", () => {
  test("/health stays ok and /health/ready answers 503 while NATS is down, 200 again after", async () => {
    expect(await send("GET", "/health/ready")).toMatchObject({ status: 200, json: { status: "ready", nats_connected: true, index_ready: true } });
    await file.nats.kill();
    try {
      await waitFor(() => !file.gw.js.connected, { timeoutMs: 10_000, what: "gateway sees NATS down" });
      expect(await send("GET", "/health")).toMatchObject({ status: 200, json: { status: "ok" } });
      expect(await send("GET", "/health/ready")).toMatchObject({ status: 503, json: { status: "not_ready", detail: "nats disconnected" } });
    } finally {
      await file.nats.start();
    }
    await waitFor(async () => (await send("GET", "/health/ready")).status === 200, { timeoutMs: 20_000, what: "ready again" });
  });
});

/**
 * GET /runs against a real nats-server: both response shapes, every filter, include=full, limits,
 * cursor paging (complete and stable while runs change), malformed cursors, the empty bucket,
 * and how fast a KV update shows up in the next list.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { RunSnapshot } from "../../../src/domain/run.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { gatewayForFile, startTestGateway } from "../../helpers/gateway.ts";

const file = gatewayForFile();

function snapshot(runId: string, updatedAt: number, extra: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    run_id: runId, flow_name: "main", tag: "default", tags: ["default"], tenant_id: null, api_key_id: null, status: "PENDING",
    params: {}, tasks: {}, task_records: { t: { state: "PENDING" } }, start_time: null, end_time: null,
    heartbeat_at: updatedAt, updated_at: updatedAt, error: null, ...extra,
  };
}

/** Write runs and wait until the index has them all. */
async function seed(runs: RunSnapshot[]): Promise<void> {
  await Promise.all(runs.map((r) => file.gw.js.runs.put(r.run_id, r)));
  await waitFor(() => runs.every((r) => file.gw.deps.index.revision(r.run_id) > 0), { timeoutMs: 5000, what: "index to see seeded runs" });
}

const ids = (items: { run_id: string }[]) => items.map((i) => i.run_id);

describe("GET /runs on an empty bucket", () => {
  test("lists as [] and as an empty page, never 503", async () => {
    expect((await file.gw.call("GET", "/runs")).json).toEqual([]);
    expect((await file.gw.call("GET", "/runs?updated_after=0")).json).toEqual({ items: [], next_cursor: null });
    expect((await file.gw.call("GET", "/runs?cursor=")).json).toEqual({ items: [], next_cursor: null });
  });
});

describe("GET /runs", () => {
  const base = 1_700_000_000;
  const runs = {
    a: snapshot("a-" + crypto.randomUUID(), base + 1, { status: "COMPLETED", flow_name: "etl", tag: "cpu", worker_id: "w1" }),
    b: snapshot("b-" + crypto.randomUUID(), base + 2, { status: "RUNNING", flow_name: "etl", tag: "gpu" }),
    c: snapshot("c-" + crypto.randomUUID(), base + 3, { status: "FAILED", flow_name: "report", tag: "cpu", error: "boom", workflow_yaml_sha256: "abc", workflow_yaml_bytes: 10, schedule_id: "s1" }),
  };
  beforeAll(async () => { await seed(Object.values(runs)); });

  test("without paging parameters answers the legacy array of list views, newest first", async () => {
    const r = await file.gw.call("GET", "/runs");
    expect(ids(r.json).slice(0, 3)).toEqual([runs.c.run_id, runs.b.run_id, runs.a.run_id]);
    const c = r.json.find((x: { run_id: string }) => x.run_id === runs.c.run_id);
    // Only the list-view keys that the snapshot has; never task_records or the sha.
    expect(Object.keys(c)).toEqual(["run_id", "schedule_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "status", "updated_at", "heartbeat_at", "error", "start_time", "end_time"]);
    expect(r.json.find((x: { run_id: string }) => x.run_id === runs.a.run_id).worker_id).toBe("w1");
  });

  test("answers a page when updated_after or cursor is present or the sha filter is set", async () => {
    expect(Array.isArray((await file.gw.call("GET", "/runs?limit=5")).json)).toBe(true);
    for (const q of ["updated_after=0", "cursor=", "workflow_yaml_sha256=abc"]) {
      const r = await file.gw.call("GET", `/runs?${q}`);
      expect(Object.keys(r.json)).toEqual(["items", "next_cursor"]);
    }
    expect(Array.isArray((await file.gw.call("GET", "/runs?workflow_yaml_sha256=")).json)).toBe(true);
  });

  test("filters by status, flow, tag, sha and schedule, exactly and case-sensitively", async () => {
    const q = async (query: string) => ids((await file.gw.call("GET", `/runs?${query}`)).json);
    expect(await q("status=RUNNING")).toEqual([runs.b.run_id]);
    expect(await q("status=running")).toEqual([]);
    expect(await q("flow=etl")).toEqual([runs.b.run_id, runs.a.run_id]);
    expect(await q("tag=cpu&flow=etl")).toEqual([runs.a.run_id]);
    expect(await q("schedule_id=s1")).toEqual([runs.c.run_id]);
    const sha = (await file.gw.call("GET", "/runs?workflow_yaml_sha256=abc")).json;
    expect(ids(sha.items)).toEqual([runs.c.run_id]);
  });

  test("updated_after keeps runs updated strictly later", async () => {
    const r = (await file.gw.call("GET", `/runs?updated_after=${base + 2}&tag=cpu`)).json;
    expect(ids(r.items)).toEqual([runs.c.run_id]);
  });

  test("include=full returns whole snapshots; include=records alone changes nothing", async () => {
    const full = (await file.gw.call("GET", "/runs?workflow_yaml_sha256=abc&include=full")).json;
    expect(full.items).toEqual([runs.c]);
    const records = (await file.gw.call("GET", "/runs?status=FAILED&include=records")).json;
    expect(records[0]).not.toContainKey("task_records");
  });

  test("limit must be 1..200 and numbers must parse (FastAPI 422 list)", async () => {
    expect((await file.gw.call("GET", "/runs?limit=0")).json.detail).toEqual([{ type: "greater_than_equal", loc: ["query", "limit"], msg: "Input should be greater than or equal to 1", input: "0", ctx: { ge: 1 } }]);
    expect((await file.gw.call("GET", "/runs?limit=201")).json.detail[0]).toMatchObject({ type: "less_than_equal", ctx: { le: 200 } });
    expect((await file.gw.call("GET", "/runs?limit=x")).json.detail[0].type).toBe("int_parsing");
    expect((await file.gw.call("GET", "/runs?updated_after=abc")).json.detail).toEqual([{
      type: "float_parsing", loc: ["query", "updated_after"], msg: "Input should be a valid number, unable to parse string as a number", input: "abc",
    }]);
    expect(ids((await file.gw.call("GET", "/runs?limit=1")).json)).toHaveLength(1);
  });

  test("a malformed cursor answers 422 invalid list query", async () => {
    const junk = [
      "not-base64!", "e30", /* {} */ Buffer.from('{"u":"x","r":"a"}').toString("base64url"),
      Buffer.from('{"u":1}').toString("base64url"), Buffer.from("[1,2]").toString("base64url"), Buffer.from("nope").toString("base64url"),
    ];
    for (const cursor of junk) {
      const r = await file.gw.call("GET", `/runs?cursor=${encodeURIComponent(cursor)}`);
      expect([cursor, r.status, r.json]).toEqual([cursor, 422, { detail: "invalid list query" }]);
    }
  });
});

describe("cursor paging", () => {
  test("120 runs come back complete, in order and without repeats, page by page", async () => {
    const tag = "page" + Date.now();
    const t0 = 1_800_000_000;
    // Some runs share an updated_at, so the run id must break ties.
    const runs = Array.from({ length: 120 }, (_, i) => snapshot(crypto.randomUUID(), t0 + Math.floor(i / 3), { tag }));
    await seed(runs);
    const expected = [...runs].sort((x, y) => (y.updated_at! - x.updated_at!) || (y.run_id < x.run_id ? -1 : 1)).map((r) => r.run_id);

    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const page: { items: { run_id: string }[]; next_cursor: string | null } =
        (await file.gw.call("GET", `/runs?tag=${tag}&limit=25&cursor=${encodeURIComponent(cursor)}`)).json;
      seen.push(...ids(page.items));
      cursor = page.next_cursor;
      pages++;
      // A run already listed changes while we page: it moves to the front, and later pages neither shift nor repeat.
      if (pages === 2) {
        const moved = runs.find((r) => r.run_id === expected[0])!;
        await file.gw.js.runs.put(moved.run_id, { ...moved, updated_at: t0 + 1000 });
        await waitFor(() => file.gw.deps.index.revision(moved.run_id) > 0 && (file.gw.deps.index.summary(moved.run_id)!.updated_at === t0 + 1000), { what: "the move" });
      }
    }
    expect(pages).toBe(5);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(seen).toEqual(expected);
  });

  test("the last page has no next_cursor and an exact fit has none either", async () => {
    const tag = "fit" + Date.now();
    await seed(Array.from({ length: 4 }, (_, i) => snapshot(crypto.randomUUID(), 1_900_000_000 + i, { tag })));
    const first = (await file.gw.call("GET", `/runs?tag=${tag}&limit=2&updated_after=0`)).json;
    expect(first.next_cursor).toBeString();
    const second = (await file.gw.call("GET", `/runs?tag=${tag}&limit=2&cursor=${first.next_cursor}`)).json;
    expect(second.items).toHaveLength(2);
    expect(second.next_cursor).toBeNull();
    expect((await file.gw.call("GET", `/runs?tag=${tag}&limit=4&updated_after=0`)).json.next_cursor).toBeNull();
  });
});

describe("freshness", () => {
  test("a run updated in KV appears in the next list within 100 ms", async () => {
    const id = crypto.randomUUID();
    await seed([snapshot(id, Date.now() / 1000, { tag: "fresh" })]);
    const started = performance.now();
    await file.gw.js.runs.put(id, snapshot(id, Date.now() / 1000, { tag: "fresh", status: "COMPLETED" }));
    await waitFor(async () => (await file.gw.call("GET", "/runs?tag=fresh&status=COMPLETED")).json.length === 1, { timeoutMs: 2000, intervalMs: 2, what: "the update in the list" });
    expect(performance.now() - started).toBeLessThan(100);
  });

  test("a submitted run is in the list as soon as POST /runs answered, without the watch's echo; later writes come through the watch", async () => {
    const tag = "ryw" + Date.now();
    const { run_id } = (await file.gw.call("POST", "/runs", { json: { flow_name: "main", tag } })).json;
    expect(ids((await file.gw.call("GET", `/runs?tag=${tag}`)).json)).toEqual([run_id]);
    const stored = (await file.gw.js.runs.get(run_id))!;
    await file.gw.js.runs.update(run_id, { ...stored.value, status: "RUNNING", updated_at: Date.now() / 1000 }, stored.revision);
    await waitFor(async () => (await file.gw.call("GET", `/runs?tag=${tag}&status=RUNNING`)).json.length === 1, { timeoutMs: 2000, what: "the worker's write in the list" });

    // With the index's watch stopped, only the submit itself can have put the run there.
    const gw = await startTestGateway(file.nats.url);
    try {
      gw.deps.index.stop();
      const { run_id: second } = (await gw.call("POST", "/runs", { json: { flow_name: "main", tag } })).json;
      expect(ids((await gw.call("GET", `/runs?tag=${tag}`)).json)).toEqual([second, run_id]);
    } finally {
      await gw.stop();
    }
  });

  test("a deleted run disappears from the list", async () => {
    const id = crypto.randomUUID();
    await seed([snapshot(id, Date.now() / 1000, { tag: "gone" })]);
    await file.gw.js.runs.delete(id);
    await waitFor(async () => (await file.gw.call("GET", "/runs?tag=gone")).json.length === 0, { timeoutMs: 2000, what: "the run to leave the list" });
  });
});

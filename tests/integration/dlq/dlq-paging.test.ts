/**
 * GET /dlq on a long DLQ (a real nats-server): the list reads the stream newest first in growing
 * windows instead of scanning it whole. Paging must still return every matching entry exactly
 * once, newest first, with and without filters, across window borders, around deleted entries,
 * and for a filter that matches only a few old entries.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { DlqPage } from "../../../src/client/types.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const file = gatewayForFile();
const TOTAL = 1_200;
/** Every entry as stored: seq, tag and flow, oldest first. */
const stored: { seq: number; tag: string; flow: string }[] = [];

beforeAll(async () => {
  const { js } = file.gw;
  const now = Date.now() / 1000;
  for (let i = 0; i < TOTAL; i += 200) {
    await Promise.all(Array.from({ length: 200 }, (_, k) => {
      const n = i + k;
      // flow "rare" only among the oldest 30 entries; tag t0..t3
      const flow = n < 30 && n % 10 === 0 ? "rare" : `flow${n % 3}`;
      return js.dlq.publish(`t${n % 4}`, "execution_error", `boom ${n % 5}`, now, { run_id: crypto.randomUUID(), flow_name: flow, tag: `t${n % 4}`, params: { n } });
    }));
  }
  await js.dlq.scan({}, (m) => { stored.push({ seq: m.seq, tag: String(m.record!.tag), flow: String(m.record!.flow_name) }); });
  // Holes: entries an operator deleted, in the first window and further back.
  for (const gone of [stored[TOTAL - 3]!, stored[700]!, stored[701]!]) expect(await js.dlq.remove(gone.seq)).toBe(true);
  stored.splice(TOTAL - 3, 1);
  stored.splice(700, 2);
}, 60_000);

async function allPages(query: string, limit: number): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | null = "";
  for (let pages = 0; cursor !== null; pages++) {
    expect(pages).toBeLessThan(TOTAL);   // a cursor that never ends would loop forever
    const r = await file.gw.call("GET", `/dlq?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ""}`);
    expect(r.status).toBe(200);
    const page = r.json as DlqPage;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seqs.push(...page.items.map((e) => e.seq));
    cursor = page.next_cursor;
  }
  return seqs;
}

const newestFirst = (pred: (e: (typeof stored)[number]) => boolean) => stored.filter(pred).map((e) => e.seq).reverse();

describe("GET /dlq on a long DLQ", () => {
  test("pages through every entry exactly once, newest first, around deleted entries", async () => {
    expect(await allPages("", 200)).toEqual(newestFirst(() => true));
    expect(await allPages("", 7)).toEqual(newestFirst(() => true));
  });

  test("filters by tag and by flow page completely, newest first", async () => {
    expect(await allPages("&tag=t2", 50)).toEqual(newestFirst((e) => e.tag === "t2"));
    expect(await allPages("&flow=flow1&tag=t3", 40)).toEqual(newestFirst((e) => e.flow === "flow1" && e.tag === "t3"));
  });

  test("a filter that matches only old entries finds them through the growing windows", async () => {
    const rare = newestFirst((e) => e.flow === "rare");
    expect(rare).toHaveLength(3);
    expect(await allPages("&flow=rare", 2)).toEqual(rare);
    expect(await allPages("&flow=rare&tag=t0", 50)).toEqual(newestFirst((e) => e.flow === "rare" && e.tag === "t0"));
    expect((await file.gw.call("GET", "/dlq?flow=nothing-like-this")).json).toEqual({ items: [], next_cursor: null });
  });
});

/** The sorted run order and the list cursor: order, ties, inserts/removes across blocks, seeking, token round trips. */
import { describe, expect, test } from "bun:test";
import { decodeCursor, encodeCursor } from "../../../src/gateway/list-cursor.ts";
import { compareKeys, RunOrder, type RunKey } from "../../../src/gateway/run-order.ts";

const key = (updatedAt: number, runId: string): RunKey => ({ updatedAt, runId });
const all = (o: RunOrder<RunKey>, after?: RunKey, limit = Infinity) => {
  const out: string[] = [];
  o.walk(after, (k) => { out.push(`${k.updatedAt}/${k.runId}`); return out.length < limit; });
  return out;
};

describe("RunOrder", () => {
  test("lists newest first and breaks ties by run id, descending", () => {
    const o = new RunOrder<RunKey>();
    for (const k of [key(1, "a"), key(3, "a"), key(2, "b"), key(2, "c"), key(0, "z")]) o.insert(k);
    expect(all(o)).toEqual(["3/a", "2/c", "2/b", "1/a", "0/z"]);
    expect(o.size).toBe(5);
  });

  test("walk(after) starts strictly after the key, also for keys that are not stored", () => {
    const o = new RunOrder<RunKey>();
    o.load([key(1, "a"), key(2, "b"), key(3, "c")]);
    expect(all(o, key(2, "b"))).toEqual(["1/a"]);
    expect(all(o, key(2.5, "x"))).toEqual(["2/b", "1/a"]);
    expect(all(o, key(9, "x"))).toEqual(["3/c", "2/b", "1/a"]);
    expect(all(o, key(0, "x"))).toEqual([]);
  });

  test("walk stops as soon as the visitor returns false", () => {
    const o = new RunOrder<RunKey>();
    o.load(Array.from({ length: 2000 }, (_, i) => key(i, `r${i}`)));
    expect(all(o, undefined, 2)).toEqual(["1999/r1999", "1998/r1998"]);
    expect(all(o, key(1000, "r1000"), 1)).toEqual(["999/r999"]);
  });

  test("stays sorted through thousands of inserts and removes across block splits", () => {
    const o = new RunOrder<RunKey>();
    const live = new Map<string, RunKey>();
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    o.load(Array.from({ length: 3000 }, (_, i) => { const k = key(Math.floor(rand() * 500), `r${i}`); live.set(k.runId, k); return k; }));
    for (let i = 0; i < 6000; i++) {
      const id = `r${Math.floor(rand() * 4000)}`;
      const old = live.get(id);
      if (old) { expect(o.remove(old)).toBe(true); live.delete(id); }
      if (rand() < 0.7) { const k = key(Math.floor(rand() * 500), id); o.insert(k); live.set(id, k); }
    }
    const listed: RunKey[] = [];
    o.walk(undefined, (k) => { listed.push(k); return true; });
    expect(listed.length).toBe(live.size);
    expect(o.size).toBe(live.size);
    for (let i = 1; i < listed.length; i++) expect(compareKeys(listed[i - 1]!, listed[i]!)).toBeLessThan(0);
    expect(o.remove(key(-1, "nope"))).toBe(false);
  });
});

describe("list cursor", () => {
  test("round-trips and is base64url of compact JSON without padding", () => {
    const token = encodeCursor(key(1795279189.9678118, "6772f700-084c-4b6f-a565-8d321e826207"));
    expect(token).toBe("eyJ1IjoxNzk1Mjc5MTg5Ljk2NzgxMTgsInIiOiI2NzcyZjcwMC0wODRjLTRiNmYtYTU2NS04ZDMyMWU4MjYyMDcifQ");
    expect(decodeCursor(token)).toEqual(key(1795279189.9678118, "6772f700-084c-4b6f-a565-8d321e826207"));
    expect(decodeCursor(token + "==")).toEqual(key(1795279189.9678118, "6772f700-084c-4b6f-a565-8d321e826207"));
  });

  test("anything else decodes to null", () => {
    for (const bad of ["", "!!", "e30", Buffer.from('{"u":"x","r":"a"}').toString("base64url"), Buffer.from('{"u":1,"r":2}').toString("base64url"), Buffer.from("null").toString("base64url")]) {
      expect(decodeCursor(bad)).toBeNull();
    }
    expect(decodeCursor(Buffer.from('{"u":"12.5","r":"a"}').toString("base64url"))).toEqual(key(12.5, "a"));
  });
});

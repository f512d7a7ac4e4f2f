import { describe, expect, test } from "bun:test";
import { wireBytes } from "../../../src/domain/json.ts";
import { RecentRunWrites } from "../../../src/worker/recent-run-writes.ts";

const snap = (status: string, pad = "") => wireBytes({ run_id: "r", status, pad });

describe("RecentRunWrites", () => {
  test("take gives the latest write seen with its revision, once", () => {
    const recent = new RecentRunWrites();
    recent.record("r1", 5, snap("PENDING"));
    recent.record("r1", 7, snap("CANCELLING"));
    const taken = recent.take("r1");
    expect(taken?.revision).toBe(7);
    expect(taken?.value as unknown).toEqual({ run_id: "r", status: "CANCELLING", pad: "" });
    expect(recent.take("r1")).toBeUndefined();
    expect(recent.take("never-seen")).toBeUndefined();
  });

  test("a delete or purge forgets the key (the pickup then reads the KV)", () => {
    const recent = new RecentRunWrites();
    recent.record("r1", 5, snap("PENDING"));
    recent.record("r1", 6, null);
    expect(recent.take("r1")).toBeUndefined();
    expect(recent.size).toBe(0);
  });

  test("the bytes are copied: NATS reusing its read buffer does not change a kept entry", () => {
    const recent = new RecentRunWrites();
    const buffer = snap("PENDING");
    recent.record("r1", 5, buffer);
    buffer.fill(0x20);
    expect(recent.take("r1")?.value.status).toBe("PENDING");
  });

  test("undecodable or non-object values are not offered", () => {
    const recent = new RecentRunWrites();
    recent.record("a", 1, new TextEncoder().encode("{not json"));
    recent.record("b", 2, new TextEncoder().encode("[1,2]"));
    expect(recent.take("a")).toBeUndefined();
    expect(recent.take("b")).toBeUndefined();
  });

  test("bounded by entries and by bytes: the oldest go first", () => {
    const byCount = new RecentRunWrites({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) byCount.record(`r${i}`, i, snap("PENDING"));
    expect(byCount.size).toBe(3);
    expect(byCount.take("r1")).toBeUndefined();
    expect(byCount.take("r2")).toBeUndefined();
    expect(byCount.take("r5")?.revision).toBe(5);

    const one = snap("PENDING", "x".repeat(1000)).length;
    const byBytes = new RecentRunWrites({ maxBytes: one * 2 + 10 });
    for (let i = 1; i <= 4; i++) byBytes.record(`r${i}`, i, snap("PENDING", "x".repeat(1000)));
    expect(byBytes.size).toBe(2);
    expect(byBytes.take("r4")?.revision).toBe(4);
    expect(byBytes.take("r2")).toBeUndefined();
  });
});

/** SlotGate: the shared run-slot limit behind the per-tag pull loops (fair FIFO claims). */
import { describe, expect, test } from "bun:test";
import { SlotGate } from "../../../src/worker/slots.ts";

describe("SlotGate", () => {
  test("claims beyond capacity wait and are granted in FIFO order as slots free", async () => {
    const gate = new SlotGate(1);
    expect(gate.tryClaim()).toBe(true);
    const order: string[] = [];
    const a = gate.claim().then(() => order.push("tagA"));
    const b = gate.claim().then(() => order.push("tagB"));
    expect(gate.tryClaim()).toBe(false);   // queued claimers go first
    gate.release();
    await a;
    gate.release();
    await b;
    expect(order).toEqual(["tagA", "tagB"]);
    expect(gate.inUse).toBe(1);
  });

  test("whenFree wakes every waiting tag loop when a slot frees", async () => {
    const gate = new SlotGate(1);
    gate.tryClaim();
    let woke = 0;
    const waits = [gate.whenFree().then(() => woke++), gate.whenFree().then(() => woke++)];
    expect(woke).toBe(0);
    gate.release();
    await Promise.all(waits);
    expect(woke).toBe(2);
  });

  test("an aborted claim leaves the queue and rejects", async () => {
    const gate = new SlotGate(1);
    gate.tryClaim();
    const ac = new AbortController();
    const p = gate.claim(ac.signal);
    ac.abort();
    await expect(p).rejects.toBeDefined();
    gate.release();
    expect(gate.inUse).toBe(0);
  });
});

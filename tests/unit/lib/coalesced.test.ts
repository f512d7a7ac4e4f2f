/** `coalesced`: concurrent callers share reads, and nobody gets a read that started before it asked. */
import { expect, test } from "bun:test";
import { coalesced } from "../../../src/lib/async.ts";

test("50 concurrent callers cost two reads; each result was read after the caller asked", async () => {
  let reads = 0;
  let version = 0;
  const releases: (() => void)[] = [];
  const read = coalesced(async () => {
    reads++;
    const seen = version;
    await new Promise<void>((r) => releases.push(r));
    return seen;
  });
  const first = read();                       // read #1 starts, sees version 0
  version = 1;                                // a write lands after read #1 started
  const later = Array.from({ length: 49 }, () => read());
  releases.shift()!();                        // read #1 ends; read #2 starts for the 49 late callers
  await first;
  await new Promise((r) => setTimeout(r, 0));
  releases.shift()!();
  expect(await first).toBe(0);
  expect(await Promise.all(later)).toEqual(Array(49).fill(1));   // none got the stale read
  expect(reads).toBe(2);
});

test("keys are independent and a failure reaches only its own callers", async () => {
  const read = coalesced(async (key) => { if (key === "bad") throw new Error("boom"); return key; });
  expect(await Promise.all([read("a"), read("b")])).toEqual(["a", "b"]);
  await expect(read("bad")).rejects.toThrow("boom");
  expect(await read("a")).toBe("a");
});

/**
 * KV write → SSE event delivered (decisions.md §5 target: p50 ≤ 20 ms; the original polled every
 * 0.5 s). Starts a nats-server and a gateway, opens one watch, then times N compare-and-set
 * writes of the run's snapshot until the matching `id:` frame arrives. Prints p50/p95/p99.
 *
 *   bun bench/sse-latency.ts [--writes 300] [--watchers 1]
 */
import { parseArgs } from "node:util";
import { startTestGateway } from "../tests/helpers/gateway.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";

const { values } = parseArgs({ options: { writes: { type: "string", default: "300" }, watchers: { type: "string", default: "1" } } });
const writes = Number(values.writes);
const watchers = Number(values.watchers);

const nats = await startNatsServer();
const gw = await startTestGateway(nats.url);
try {
  const runId = crypto.randomUUID();
  let revision = await gw.js.runs.create(runId, { run_id: runId, flow_name: "bench", status: "RUNNING", updated_at: Date.now() / 1000 });

  // Each watcher resolves the waiter of the revision it sees in an `id:` line.
  const waiters = new Map<number, { seen: number; resolve: () => void }>();
  // Events that arrived before their write's ack (the waiter is registered once the revision is known).
  const early = new Map<number, number>();
  const readers = await Promise.all(Array.from({ length: watchers }, async () => {
    const res = await fetch(`${gw.baseUrl}/runs/${runId}/watch?timeout_sec=600`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    void (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (let m; (m = buffer.match(/^id: (\d+)\n/m)); ) {
          buffer = buffer.slice(m.index! + m[0].length);
          const rev = Number(m[1]);
          const w = waiters.get(rev);
          if (w) { if (++w.seen === watchers) w.resolve(); } else early.set(rev, (early.get(rev) ?? 0) + 1);
        }
      }
    })();
    return reader;
  }));

  const samples: number[] = [];
  for (let i = 0; i < writes; i++) {
    const t0 = performance.now();
    const { promise, resolve } = Promise.withResolvers<void>();
    const snapshot = { run_id: runId, flow_name: "bench", status: "RUNNING", updated_at: Date.now() / 1000, step: i };
    revision = await gw.js.runs.update(runId, snapshot, revision);
    const pending = { seen: early.get(revision) ?? 0, resolve };
    early.delete(revision);
    waiters.set(revision, pending);
    if (pending.seen === watchers) resolve();
    await promise;
    samples.push(performance.now() - t0);
    waiters.delete(revision);
  }
  for (const r of readers) await r.cancel().catch(() => {});

  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))]!.toFixed(2);
  console.log(`sse-latency: ${writes} KV writes, ${watchers} watcher(s): write → event delivered p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms, max ${samples.at(-1)!.toFixed(2)} ms (target p50 ≤ 20 ms)`);
} finally {
  await gw.stop();
  await nats.stop();
}

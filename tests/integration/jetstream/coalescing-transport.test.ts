/**
 * The NATS connection writes the frames of one event-loop turn together (coalescing transport).
 * What must not change for callers, against a real nats-server: writes made in one turn are
 * applied in the order they were made, also when a large one is written at once in between, and
 * a fire-and-forget message sent just before the connection closes still reaches the server.
 */
import { expect, test } from "bun:test";
import { buildRunJob } from "../../../src/domain/job.ts";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { testSettings } from "../../helpers/settings.ts";
import { workerBedForFile } from "../worker/support.ts";

const bed = workerBedForFile();   // nats-server + JetStream client, no worker

test("KV writes issued in one turn land in call order, across frames large enough to be written at once", async () => {
  const { js } = bed;
  const key = crypto.randomUUID();
  const big = "x".repeat(200 * 1024);   // over the 64 KiB that are written without waiting for the turn to end
  const values = Array.from({ length: 60 }, (_, i) => ({ i, pad: i % 20 === 10 ? big : "" }));
  const revisions = await Promise.all(values.map((v) => js.runs.put(key, v as never)));   // all issued before any await
  expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
  expect(new Set(revisions).size).toBe(values.length);
  expect(((await js.runs.get(key))!.value as unknown as { i: number }).i).toBe(59);
});

test("a nak sent just before the connection closes reaches the server: the job is handed out again at once, not after AckWait", async () => {
  const { js, nats } = bed;
  const tag = "naklast";
  await js.queue.ensureConsumer(tag, { ackWaitSec: 60, maxDeliver: 5, maxAckPending: 10 });
  const runId = crypto.randomUUID();
  await js.queue.publish(tag, buildRunJob({ runId, flowName: "f", tag, tags: [tag], params: {}, submittedAt: Date.now() / 1000 }), runId);
  const other = await PyocoJetStream.connect(testSettings(nats.url), { name: "closing", log: silentLogger });
  const d = (await other.queue.next(tag, 1000))!;
  expect(d.deliveryCount).toBe(1);
  d.nak();
  await other.close();
  // Without the nak the server would hold the job for the whole AckWait (60 s).
  const again = await js.queue.next(tag, 2000);
  expect(again?.deliveryCount).toBe(2);
  again!.term();
});

/**
 * KV watches against a real nats-server: a watch stopped at any moment, even while it is still
 * being set up, leaves nothing behind. Before the fix, a stop during set-up missed the iterator
 * being created: it stayed subscribed for the life of the process and, once the connection
 * closed, printed "ClosedConnectionError" every few seconds (seen in CI logs of the gateway and
 * worker tests).
 */
import { expect, test } from "bun:test";
import { sleep, waitFor } from "../../../src/lib/async.ts";
import { workerBedForFile } from "../worker/support.ts";

const bed = workerBedForFile();   // nats-server + JetStream client, no worker

test("watches stopped while starting, or once running, close their subscriptions", async () => {
  const { js } = bed;
  const before = js.subscriptionCount;
  const running = [js.runs.watchUpdates(() => {}), js.runs.watch(() => {})];
  await Promise.all(running.map((h) => h.ready));
  expect(js.subscriptionCount).toBe(before + 2);
  for (const h of running) h.stop();
  for (let i = 0; i < 5; i++) {
    js.runs.watchUpdates(() => {}).stop();   // stopped before its iterator exists
    js.runs.watch(() => {}).stop();
  }
  await sleep(1000);   // every set-up started above has finished by now
  await waitFor(() => js.subscriptionCount === before, { timeoutMs: 5_000, what: `subscriptions back to ${before} (now ${js.subscriptionCount})` });
});

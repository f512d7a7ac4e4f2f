/**
 * The dispatcher against a real nats-server without a worker: a submit that fails (the work
 * stream is gone) is recorded as last_error and retried until it succeeds; the run carries
 * schedule_id in its snapshot and its job; NATS down answers 503 on the schedule endpoints.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "bun:test";
import { WORK_STREAM } from "../../../src/jetstream/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { gatewayForFile, startTestGateway } from "../../helpers/gateway.ts";
import { startNatsServer } from "../../helpers/nats-server.ts";

const file = gatewayForFile({ schedulePollIntervalSec: 0.2 });
const FLOW_YAML = readFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  f.append("workflow", new File([FLOW_YAML], "flow.yaml"));
  f.append("flow_name", "main");
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

describe("dispatch", () => {
  test("a failed submit is recorded as last_error and retried; the run carries schedule_id", async () => {
    const { gw } = file;
    await gw.js.deleteStream(WORK_STREAM);   // every publish fails until the stream is back
    const created = await gw.call("POST", "/schedules/yaml", { body: form({ tag: "retry", run_at: new Date(Date.now() + 300).toISOString() }) });
    const id = created.json.schedule_id;
    const failed = await waitFor(async () => {
      const s = (await gw.call("GET", `/schedules/${id}`)).json;
      return s.last_error ? s : null;
    }, { what: "the failure to be recorded" });
    expect(failed).toMatchObject({ status: "ACTIVE", dispatch_count: 0 });
    expect(failed.last_error).toMatch(/^NatsUnavailableError: nats unavailable/);
    expect((await gw.call("GET", `/schedules/${id}/runs`)).json).toEqual([]);   // no orphan run from the failed attempts

    await gw.js.ensureResources();
    const done = await waitFor(async () => {
      const s = (await gw.call("GET", `/schedules/${id}`)).json;
      return s.status === "COMPLETED" ? s : null;
    }, { what: "the retried fire" });
    expect(done).toMatchObject({ dispatch_count: 1, last_error: null });
    const run = (await gw.js.runs.get(done.last_run_id))!.value;
    expect(run).toMatchObject({ status: "PENDING", schedule_id: id, flow_name: "main", tag: "retry" });
    await gw.js.queue.ensureConsumer("retry", { ackWaitSec: 30, maxDeliver: 3, maxAckPending: 10 });
    const job = await gw.js.queue.next("retry", 2000);
    await job!.ack();
    expect(JSON.parse(new TextDecoder().decode(job!.data))).toMatchObject({ run_id: done.last_run_id, schedule_id: id, workflow_yaml: FLOW_YAML });
  });

  test("NATS down: the schedule endpoints answer 503", async () => {
    const nats = await startNatsServer();
    const gw = await startTestGateway(nats.url, { schedulePollIntervalSec: 0.2 });
    try {
      await nats.kill();
      await waitFor(() => !gw.js.connected, { what: "the disconnect" });
      for (const [method, path] of [["GET", "/schedules"], ["GET", "/schedules/x"], ["POST", "/schedules/x/pause"]] as const) {
        const r = await gw.call(method, path);
        expect(r.status).toBe(503);
        expect(r.json.detail).toMatch(/^nats unavailable/);
      }
      const created = await gw.call("POST", "/schedules/yaml", { body: form({ interval_seconds: "5" }) });
      expect(created.status).toBe(503);
    } finally {
      await gw.stop();
      await nats.stop();
    }
  });
});

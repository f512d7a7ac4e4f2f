/**
 * The dispatcher against a real nats-server without a worker: a submit that fails (the work
 * stream is gone) is recorded as last_error and retried until it succeeds; the run carries
 * schedule_id in its snapshot and its job; a record written by the Python original is fired and
 * stays readable by it; a cron fire moves to its next slot; a missed fire with policy `skip`
 * makes no run; NATS down answers 503 on the schedule endpoints.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "bun:test";
import { fireRunId, type ScheduleRecord } from "../../../src/domain/schedule.ts";
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

  test("a schedule written by the Python original is fired on its grid and keeps the original's record", async () => {
    const { gw } = file;
    const id = crypto.randomUUID();
    const now = Date.now() / 1000;
    const anchor = now + 0.3;
    const legacy = {   // key order and values as pyoco_server.schedules.build_schedule_record writes them
      schedule_id: id, flow_name: "main", tag: "py", status: "ACTIVE", schedule_type: "interval", workflow_yaml: FLOW_YAML,
      workflow_yaml_sha256: "00", workflow_yaml_bytes: 10, params: { x: 5 }, tenant_id: null, api_key_id: null, created_at: now, updated_at: now,
      last_submitted_at: null, last_run_id: null, dispatch_count: 0, last_error: null, lease_until: null,
      run_at: null, interval_seconds: 3600.0, start_at: anchor, next_run_at: anchor,
    };
    await gw.js.schedules.create(id, legacy as ScheduleRecord);
    const fired = await waitFor(async () => {
      const r = (await gw.js.schedules.get(id))!.value;
      return r.dispatch_count === 1 ? r : null;
    }, { what: "the fire" });
    expect(Object.keys(fired).slice(0, Object.keys(legacy).length)).toEqual(Object.keys(legacy));   // ours only appended
    expect(fired).toMatchObject({ status: "ACTIVE", schedule_type: "interval", lease_until: null, next_run_at: anchor + 3600, last_run_id: await fireRunId(id, anchor) });
    expect((await gw.js.runs.get(fired.last_run_id!))!.value).toMatchObject({ schedule_id: id, params: { x: 5 }, tag: "py" });
  });

  test("cron: the fire moves to the next cron slot; next_run_at stays null in KV", async () => {
    const { gw } = file;
    const created = await gw.call("POST", "/schedules/yaml", { body: form({ tag: "cron", cron: "0 4 * * *", timezone: "Asia/Tokyo" }) });
    const id = created.json.schedule_id;
    const stored = (await gw.js.schedules.get(id))!;
    const slot = Math.floor(Date.now() / 1000) + 0.3;   // pretend the cron slot is now
    await gw.js.schedules.update(id, { ...stored.value, cron_next_run_at: slot }, stored.revision);
    const fired = await waitFor(async () => {
      const r = (await gw.js.schedules.get(id))!.value;
      return r.dispatch_count === 1 ? r : null;
    }, { what: "the cron fire" });
    expect(fired.next_run_at).toBeNull();
    expect(fired.cron_next_run_at).toBe(created.json.next_run_at);   // 04:00 Tokyo, the slot after now
    expect(fired.last_run_id).toBe(await fireRunId(id, slot));
    const view = (await gw.call("GET", `/schedules/${id}`)).json;
    expect(view).toMatchObject({ status: "ACTIVE", next_run_at: created.json.next_run_at, last_run_status: "PENDING" });
  });

  test("misfire_policy=skip: a fire missed by more than the grace makes no run", async () => {
    const { gw } = file;
    const created = await gw.call("POST", "/schedules/yaml", { body: form({ tag: "skip", interval_seconds: "60", misfire_policy: "skip" }) });
    const id = created.json.schedule_id;
    const stored = (await gw.js.schedules.get(id))!;
    const longAgo = Date.now() / 1000 - 3600;   // every gateway was down for an hour
    await gw.js.schedules.update(id, { ...stored.value, start_at: longAgo, next_run_at: longAgo }, stored.revision);
    const moved = await waitFor(async () => {
      const r = (await gw.js.schedules.get(id))!.value;
      return r.next_run_at! > Date.now() / 1000 ? r : null;
    }, { what: "the missed slot to be skipped" });
    expect(moved).toMatchObject({ dispatch_count: 0, last_run_id: null, lease_until: null });
    expect((moved.next_run_at! - longAgo) % 60).toBeCloseTo(0, 6);
    expect((await gw.call("GET", `/schedules/${id}/runs`)).json).toEqual([]);
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

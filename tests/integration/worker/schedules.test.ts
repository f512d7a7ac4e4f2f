/**
 * Schedules fired by the gateway's dispatcher and run by a real worker (Pyoco test double):
 * an interval of 1 s fires every slot, each run COMPLETED; a one-shot fires exactly once;
 * delete and pause stop fires, resume restarts them; a fire whose gateway died after submitting
 * is finished by the next gateway without a second run.
 *
 * "No more fires" is checked against a barrier, not a sleep: a one-shot scheduled later than the
 * stopped schedule's next slot must have fired first.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { fireRunId } from "../../../src/domain/schedule.ts";
import { submitRun } from "../../../src/gateway/submit.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";

setDefaultTimeout(60_000);
const FLOW_YAML = readFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");
let stack: Stack;

beforeAll(async () => { stack = await startStack({ tags: ["sched"], gateway: { schedulePollIntervalSec: 0.2 } }); });
afterAll(async () => { await stack?.stop(); });

async function api(method: string, path: string, body?: FormData): Promise<any> {
  const res = await fetch(stack.baseUrl + path, { method, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function create(fields: Record<string, string>): Promise<any> {
  const f = new FormData();
  f.append("workflow", new File([FLOW_YAML], "flow.yaml"));
  f.append("flow_name", "main");
  f.append("tag", "sched");
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return api("POST", "/schedules/yaml", f);
}

const iso = (sec: number) => new Date(sec * 1000).toISOString();
const schedule = (id: string) => api("GET", `/schedules/${id}`);
const runsOf = async (id: string): Promise<any[]> => api("GET", `/runs?schedule_id=${id}&limit=200`);

/** Wait until every run of the schedule is COMPLETED; returns the full snapshots. */
async function allCompleted(ids: string[]): Promise<any[]> {
  return waitFor(async () => {
    const runs = await Promise.all(ids.map((id) => api("GET", `/runs/${id}`)));
    return runs.every((r) => r.status === "COMPLETED") ? runs : null;
  }, { timeoutMs: 30_000, what: "the scheduled runs to complete" });
}

/** A one-shot `afterSec` from now has fired (and so every slot due before it has been looked at). */
async function barrier(afterSec: number): Promise<void> {
  const b = await create({ run_at: iso(Date.now() / 1000 + afterSec) });
  await waitFor(async () => (await schedule(b.schedule_id)).dispatch_count === 1, { timeoutMs: 20_000, what: "the barrier schedule" });
  await api("DELETE", `/schedules/${b.schedule_id}`);
}

describe("firing", () => {
  test("interval 1 s: every slot fires once, in order, and each run is COMPLETED by the worker", async () => {
    const start = Math.ceil(Date.now() / 1000) + 1;
    const s = await create({ interval_seconds: "1", start_at: iso(start) });
    await waitFor(async () => (await schedule(s.schedule_id)).dispatch_count >= 5, { timeoutMs: 20_000, what: "five fires" });
    await api("POST", `/schedules/${s.schedule_id}/pause`);
    const after = await schedule(s.schedule_id);
    const runs = await runsOf(s.schedule_id);
    // Over the first 5 s the slots start … start+4 fired: the run ids are those of consecutive slots, none twice.
    const expected = await Promise.all(Array.from({ length: after.dispatch_count }, (_, k) => fireRunId(s.schedule_id, start + k)));
    expect(runs.map((r) => r.run_id).sort()).toEqual([...expected].sort());
    expect(after.dispatch_count).toBeGreaterThanOrEqual(5);
    const done = await allCompleted(expected);
    for (const run of done) {
      expect(run).toMatchObject({ schedule_id: s.schedule_id, flow_name: "main", tag: "sched", workflow_yaml_sha256: s.workflow_yaml_sha256 });
      expect(run.tasks).toEqual({ add_one: "SUCCEEDED", to_text: "SUCCEEDED" });
    }
    expect(after.last_run_id).toBe(expected[expected.length - 1]);
    expect((await schedule(s.schedule_id)).last_run_status).toBe("COMPLETED");
  });

  test("once: fires exactly once, then COMPLETED", async () => {
    const s = await create({ run_at: iso(Date.now() / 1000 + 1) });
    const done = await waitFor(async () => {
      const now = await schedule(s.schedule_id);
      return now.status === "COMPLETED" ? now : null;
    }, { timeoutMs: 20_000, what: "the one-shot to fire" });
    expect(done).toMatchObject({ dispatch_count: 1, next_run_at: null, next_fire_times: [], last_error: null });
    await allCompleted([done.last_run_id]);
    await barrier(1.5);
    const runs = await api("GET", `/schedules/${s.schedule_id}/runs`);
    expect(runs.map((r: any) => r.run_id)).toEqual([done.last_run_id]);
    expect((await schedule(s.schedule_id)).dispatch_count).toBe(1);
  });

  test("delete stops further fires; the runs already made are kept", async () => {
    const s = await create({ interval_seconds: "1", start_at: iso(Date.now() / 1000 + 0.5) });
    await waitFor(async () => (await schedule(s.schedule_id)).dispatch_count >= 2, { timeoutMs: 20_000, what: "two fires" });
    await api("DELETE", `/schedules/${s.schedule_id}`);
    const kept = (await runsOf(s.schedule_id)).length;
    await barrier(2.5);
    expect((await runsOf(s.schedule_id)).length).toBe(kept);
    expect(kept).toBeGreaterThanOrEqual(2);
  });

  test("pause stops fires, resume starts them again", async () => {
    const s = await create({ interval_seconds: "1", start_at: iso(Date.now() / 1000 + 0.5) });
    await waitFor(async () => (await schedule(s.schedule_id)).dispatch_count >= 1, { timeoutMs: 20_000, what: "a first fire" });
    const paused = await api("POST", `/schedules/${s.schedule_id}/pause`);
    await barrier(2.5);
    const stillPaused = await schedule(s.schedule_id);
    expect(stillPaused.status).toBe("PAUSED");
    expect(stillPaused.dispatch_count).toBe(paused.dispatch_count);
    expect((await runsOf(s.schedule_id)).length).toBe(paused.dispatch_count);
    await api("POST", `/schedules/${s.schedule_id}/resume`);
    await waitFor(async () => (await schedule(s.schedule_id)).dispatch_count > paused.dispatch_count, { timeoutMs: 20_000, what: "a fire after resume" });
    await api("DELETE", `/schedules/${s.schedule_id}`);
  });
});

describe("a gateway that died mid-fire", () => {
  test("its run is found again, not duplicated; the schedule is counted and moves on", async () => {
    const s = await create({ interval_seconds: "3600", start_at: iso(Date.now() / 1000 + 3600) });
    const { js, clock, log } = stack.gateway.deps;
    const slot = Math.floor(Date.now() / 1000) - 1;
    const runId = await fireRunId(s.schedule_id, slot);
    // The state a gateway leaves behind when killed after its submit and before its outcome write:
    // the slot's run exists, the schedule still points at the slot, the lease has expired.
    const stored = (await js.schedules.get(s.schedule_id))!;
    const r = stored.value;
    await submitRun({ js, clock, log }, {
      runId, resumeExisting: true, flowName: r.flow_name, params: r.params, tag: r.tag, tags: [r.tag], caller: null,
      yaml: { text: r.workflow_yaml, sha256: r.workflow_yaml_sha256, bytes: r.workflow_yaml_bytes, scheduleId: s.schedule_id },
    });
    await js.schedules.update(s.schedule_id, { ...r, start_at: slot, next_run_at: slot, lease_until: slot + 0.5, lease_owner: "dead-gateway" }, stored.revision);

    const after = await waitFor(async () => {
      const now = await schedule(s.schedule_id);
      return now.dispatch_count === 1 ? now : null;
    }, { timeoutMs: 20_000, what: "the interrupted fire to be finished" });
    expect(after.last_run_id).toBe(runId);
    expect(after.next_run_at).toBeGreaterThan(slot);
    const runs = await runsOf(s.schedule_id);
    expect(runs.map((x) => x.run_id)).toEqual([runId]);
    await allCompleted([runId]);
    await api("DELETE", `/schedules/${s.schedule_id}`);
  });
});

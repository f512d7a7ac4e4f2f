/**
 * Schedule endpoints against a real nats-server: what is stored (the original's record), the
 * response shape, validation reasons, list order, pause/resume, delete, tenant scoping, and a
 * record written the way the Python original writes it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "bun:test";
import { Value } from "@sinclair/typebox/value";
import { YamlScheduleSchema } from "../../../src/gateway/routes/schedule-schemas.ts";
import { createApp, EXTRA_ROUTES, type Caller } from "../../../src/gateway/index.ts";
import { callApp, gatewayForFile } from "../../helpers/gateway.ts";

// A long poll keeps this file's gateway from firing anything on its own while the API is checked.
const file = gatewayForFile({ schedulePollIntervalSec: 3600 });
const FLOW_YAML = readFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");
const isoIn = (sec: number) => new Date(Date.now() + sec * 1000).toISOString();

function form(fields: Record<string, string>, workflow: string | null = FLOW_YAML): FormData {
  const f = new FormData();
  if (workflow !== null) f.append("workflow", new File([workflow], "flow.yaml", { type: "application/x-yaml" }));
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

async function create(fields: Record<string, string>, workflow?: string | null) {
  return file.gw.call("POST", "/schedules/yaml", { body: form({ flow_name: "main", tag: "sched", ...fields }, workflow) });
}

describe("POST /schedules/yaml", () => {
  test("once: stores the original's record and answers with YamlSchedule", async () => {
    const r = await create({ run_at: isoIn(3600) });
    expect(r.status).toBe(200);
    expect(Value.Check(YamlScheduleSchema, r.json)).toBe(true);
    expect(r.json).toMatchObject({ flow_name: "main", tag: "sched", status: "ACTIVE", schedule_type: "once", dispatch_count: 0, last_error: null, interval_seconds: null });
    expect(r.json.next_run_at).toBe(r.json.run_at);
    expect(r.json.next_fire_times).toEqual([r.json.run_at]);
    const stored = (await file.gw.js.schedules.get(r.json.schedule_id))!.value;
    expect(Object.keys(stored).slice(0, 22)).toEqual([
      "schedule_id", "flow_name", "tag", "status", "schedule_type", "workflow_yaml", "workflow_yaml_sha256", "workflow_yaml_bytes",
      "params", "tenant_id", "api_key_id", "created_at", "updated_at", "last_submitted_at", "last_run_id", "dispatch_count",
      "last_error", "lease_until", "run_at", "next_run_at", "interval_seconds", "start_at",
    ]);
    expect(stored).toMatchObject({ workflow_yaml: FLOW_YAML, params: { x: 1 }, lease_until: null, workflow_yaml_bytes: Buffer.byteLength(FLOW_YAML) });
  });

  test("interval with start_at, and cron with a time zone", async () => {
    const start = Math.ceil(Date.now() / 1000) + 600;
    const i = await create({ interval_seconds: "60", start_at: new Date(start * 1000).toISOString() });
    expect(i.status).toBe(200);
    expect(i.json).toMatchObject({ schedule_type: "interval", interval_seconds: 60, start_at: start, next_run_at: start });
    expect(i.json.next_fire_times).toEqual([0, 60, 120, 180, 240].map((d) => start + d));

    const c = await create({ cron: "30 2 * * *", timezone: "Europe/Berlin" });
    expect(c.status).toBe(200);
    expect(Value.Check(YamlScheduleSchema, c.json)).toBe(true);
    expect(c.json).toMatchObject({ schedule_type: "cron", cron: "30 2 * * *", timezone: "Europe/Berlin" });
    expect(c.json.next_fire_times).toHaveLength(5);
    expect(c.json.next_run_at).toBe(c.json.next_fire_times[0]);
    const local = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit" });
    for (const t of c.json.next_fire_times) expect(["02:30", "03:00"]).toContain(local.format(new Date(t * 1000)));
    expect((await file.gw.js.schedules.get(c.json.schedule_id))!.value.next_run_at).toBeNull();
  });

  test.each([
    ["an invalid cron", { cron: "61 * * * *" }, "invalid cron expression: minute: 61 is outside 0-59"],
    ["a cron with too few fields", { cron: "* * *" }, "cron expression needs 5 fields"],
    ["a cron that never fires", { cron: "0 0 30 2 *" }, "cron expression never fires"],
    ["an unknown time zone", { cron: "0 * * * *", timezone: "Mars/Olympus" }, "unknown timezone: Mars/Olympus"],
    ["a time zone without cron", { interval_seconds: "5", timezone: "UTC" }, "timezone is only valid with cron"],
    ["run_at in the past", { run_at: "2020-01-01T00:00:00Z" }, "run_at must be in the future"],
    ["run_at without an offset", { run_at: "2099-01-01T00:00:00" }, "run_at must include timezone offset"],
    ["run_at that is not a date", { run_at: "soon" }, "run_at must be ISO 8601 datetime"],
    ["both run_at and interval_seconds", { run_at: "2099-01-01T00:00:00Z", interval_seconds: "5" }, "specify either run_at or interval_seconds"],
    ["neither", {}, "specify either run_at or interval_seconds"],
    ["cron and interval together", { cron: "* * * * *", interval_seconds: "5" }, "specify only one of run_at, interval_seconds or cron"],
    ["an interval of 0", { interval_seconds: "0" }, "interval_seconds must be positive"],
    ["a negative interval", { interval_seconds: "-1" }, "interval_seconds must be positive"],
    ["an infinite interval", { interval_seconds: "inf" }, "interval_seconds must be a finite number"],
    ["a NaN interval", { interval_seconds: "nan" }, "interval_seconds must be a finite number"],
    ["start_at with run_at", { run_at: "2099-01-01T00:00:00Z", start_at: "2099-01-01T00:00:00Z" }, "start_at is only valid with interval_seconds"],
    ["a bad start_at", { interval_seconds: "5", start_at: "yesterday" }, "start_at must be ISO 8601 datetime"],
    ["an unknown misfire policy", { interval_seconds: "5", misfire_policy: "all" }, "misfire_policy must be one of run_once, skip"],
    ["an invalid tag", { interval_seconds: "5", tag: "a.b" }, "invalid tag"],
    ["a blank flow_name", { interval_seconds: "5", flow_name: "   " }, "missing flow_name"],
  ])("%s → 422 with the reason", async (_name, fields, reason) => {
    const r = await create(fields as Record<string, string>);
    expect(r.status).toBe(422);
    expect(r.json.detail).toContain(reason);
  });

  test("an invalid workflow is 422, a non-number interval is FastAPI's list, nothing is stored", async () => {
    const before = (await file.gw.js.schedules.all()).size;
    expect((await create({ interval_seconds: "5" }, "flows: {}\n")).json).toMatchObject({ detail: "invalid workflow yaml" });
    const list = await create({ interval_seconds: "abc" });
    expect(list.status).toBe(422);
    expect(list.json.detail[0]).toMatchObject({ type: "float_parsing", loc: ["body", "interval_seconds"] });
    expect((await create({ interval_seconds: "5" }, null)).json.detail[0]).toMatchObject({ type: "missing", loc: ["body", "workflow"] });
    expect((await file.gw.js.schedules.all()).size).toBe(before);
  });
});

describe("reading, pausing, deleting", () => {
  test("GET /schedules: ACTIVE first by next fire, then PAUSED, then COMPLETED", async () => {
    const late = (await create({ run_at: isoIn(7200) })).json.schedule_id;
    const soon = (await create({ run_at: isoIn(1800) })).json.schedule_id;
    const paused = (await create({ run_at: isoIn(60) })).json.schedule_id;
    expect((await file.gw.call("POST", `/schedules/${paused}/pause`)).json.status).toBe("PAUSED");
    const list = (await file.gw.call("GET", "/schedules")).json as { schedule_id: string; status: string }[];
    const order = list.map((s) => s.schedule_id);
    expect(order.indexOf(soon)).toBeLessThan(order.indexOf(late));
    expect(order.indexOf(late)).toBeLessThan(order.indexOf(paused));
    const ranks = list.map((s) => ["ACTIVE", "PAUSED", "COMPLETED"].indexOf(s.status));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    for (const s of list) expect(Value.Check(YamlScheduleSchema, s)).toBe(true);
  });

  test("pause and resume: PAUSED has no next fire; resume is ACTIVE again; both are idempotent", async () => {
    const id = (await create({ interval_seconds: "30" })).json.schedule_id;
    const p = await file.gw.call("POST", `/schedules/${id}/pause`);
    expect(p.json).toMatchObject({ status: "PAUSED", next_run_at: null, next_fire_times: [] });
    expect((await file.gw.call("POST", `/schedules/${id}/pause`)).json.status).toBe("PAUSED");
    const r = await file.gw.call("POST", `/schedules/${id}/resume`);
    expect(r.json.status).toBe("ACTIVE");
    expect(r.json.next_run_at).toBeGreaterThan(Date.now() / 1000);
    expect((await file.gw.call("POST", `/schedules/${id}/resume`)).json.status).toBe("ACTIVE");
    expect((await file.gw.call("GET", `/schedules/${id}`)).json.status).toBe("ACTIVE");
  });

  test("a completed schedule cannot be paused (409)", async () => {
    const id = (await create({ run_at: isoIn(3600) })).json.schedule_id;
    await file.gw.js.schedules.mutate(id, (r) => r && { ...r, status: "COMPLETED", next_run_at: null });
    const r = await file.gw.call("POST", `/schedules/${id}/pause`);
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ detail: "schedule is completed" });
  });

  test("DELETE removes it; afterwards every schedule path answers 404 \"schedule not found\"", async () => {
    const id = (await create({ interval_seconds: "30" })).json.schedule_id;
    expect((await file.gw.call("DELETE", `/schedules/${id}`)).json).toEqual({ schedule_id: id, deleted: true });
    for (const [method, path] of [["GET", `/schedules/${id}`], ["GET", `/schedules/${id}/runs`], ["DELETE", `/schedules/${id}`],
      ["POST", `/schedules/${id}/pause`], ["POST", `/schedules/${id}/resume`], ["GET", "/schedules/bad%20id"]] as const) {
      const r = await file.gw.call(method, path);
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ detail: "schedule not found" });
    }
    expect(((await file.gw.call("GET", "/schedules")).json as { schedule_id: string }[]).map((s) => s.schedule_id)).not.toContain(id);
  });

  test("GET /schedules/{id}/runs lists runs stamped with the schedule_id, newest first, with limit", async () => {
    const id = (await create({ interval_seconds: "30" })).json.schedule_id;
    const { js, deps } = file.gw;
    for (let i = 0; i < 3; i++) {
      const runId = crypto.randomUUID();
      await js.runs.create(runId, { run_id: runId, flow_name: "main", tag: "sched", tags: ["sched"], schedule_id: id, status: "COMPLETED", updated_at: 1000 + i } as any);
    }
    const other = crypto.randomUUID();
    await js.runs.create(other, { run_id: other, flow_name: "main", status: "COMPLETED", updated_at: 2000 } as any);
    const { waitFor } = await import("../../../src/lib/async.ts");
    await waitFor(() => deps.index.summary(other), { what: "the index to see the runs" });
    const runs = (await file.gw.call("GET", `/schedules/${id}/runs`)).json as { schedule_id: string; updated_at: number }[];
    expect(runs.map((r) => r.updated_at)).toEqual([1002, 1001, 1000]);
    expect(runs.every((r) => r.schedule_id === id)).toBe(true);
    expect((await file.gw.call("GET", `/schedules/${id}/runs?limit=1`)).json).toHaveLength(1);
    expect((await file.gw.call("GET", `/schedules/${id}/runs?limit=0`)).status).toBe(422);
  });

  test("a record written by the Python original is listed and served", async () => {
    const id = crypto.randomUUID();
    const now = Date.now() / 1000;
    // Key order and values as pyoco_server.schedules.build_schedule_record writes them.
    await file.gw.js.schedules.create(id, {
      schedule_id: id, flow_name: "main", tag: "py", status: "ACTIVE", schedule_type: "interval", workflow_yaml: FLOW_YAML,
      workflow_yaml_sha256: "00", workflow_yaml_bytes: 10, params: {}, tenant_id: null, api_key_id: null, created_at: now, updated_at: now,
      last_submitted_at: null, last_run_id: null, dispatch_count: 0, last_error: null, lease_until: null,
      run_at: null, interval_seconds: 3600.0, start_at: now + 3600, next_run_at: now + 3600,
    });
    const r = await file.gw.call("GET", `/schedules/${id}`);
    expect(r.status).toBe(200);
    expect(Value.Check(YamlScheduleSchema, r.json)).toBe(true);
    expect(r.json).toMatchObject({ schedule_type: "interval", misfire_policy: "run_once", cron: null, next_run_at: now + 3600 });
  });
});

describe("tenant scoping", () => {
  test("another tenant's schedule looks like 404 and is not listed", async () => {
    const as = (tenantId: string) => async (): Promise<Caller> => ({ tenantId, apiKeyId: `key-${tenantId}` });
    const appA = createApp(file.gw.deps, EXTRA_ROUTES, { authenticate: as("team-a") });
    const appB = createApp(file.gw.deps, EXTRA_ROUTES, { authenticate: as("team-b") });
    const created = await callApp(appA, "POST", "/schedules/yaml", { body: form({ flow_name: "main", interval_seconds: "30" }) });
    expect(created.json).toMatchObject({ tenant_id: "team-a", api_key_id: "key-team-a" });
    const id = created.json.schedule_id;
    expect((await callApp(appA, "GET", `/schedules/${id}`)).status).toBe(200);
    for (const [method, path] of [["GET", `/schedules/${id}`], ["GET", `/schedules/${id}/runs`], ["POST", `/schedules/${id}/pause`], ["DELETE", `/schedules/${id}`]] as const) {
      expect((await callApp(appB, method, path)).status).toBe(404);
    }
    expect(((await callApp(appB, "GET", "/schedules")).json as unknown[]).length).toBe(0);
    expect(((await callApp(appA, "GET", "/schedules")).json as { schedule_id: string }[]).map((s) => s.schedule_id)).toEqual([id]);
  });
});

/**
 * The DLQ endpoints against a real stack (nats-server, gateway, worker with Python runners):
 * real failed runs produce the entries; list/filter/page, groups, show, idempotent requeue
 * (two concurrent requests → one run), group requeue, delete, and tenant scoping with real API keys.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { run } from "../../../src/cli/index.ts";
import { apiKeyKvKey, generateApiKey } from "../../../src/domain/api-key.ts";
import { waitFor } from "../../../src/lib/async.ts";
import type { DlqEntry, DlqGroup, DlqPage } from "../../../src/client/types.ts";
import { captureIo } from "../../helpers/cli.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startStack, type Stack } from "../../helpers/stack.ts";

const BOOM_YAML = `version: 1
flow:
  graph: |
    boom
  defaults:
    x: 7
tasks:
  boom:
    callable: demo_tasks:boom
`;

let stack: Stack;
let secured: TestGateway;          // api_key mode on the same NATS
let keyA = "";
let keyB = "";

async function api(method: string, path: string, key?: string, body?: BodyInit): Promise<{ status: number; json: any }> {
  const base = key ? secured.baseUrl : stack.baseUrl;
  const res = await fetch(base + path, { method, headers: key ? { "X-API-Key": key } : {}, body });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json };
}

async function submitAs(key: string, flowName: string, params: Record<string, unknown> = {}): Promise<string> {
  const res = await fetch(`${secured.baseUrl}/runs`, {
    method: "POST", headers: { "content-type": "application/json", "X-API-Key": key }, body: JSON.stringify({ flow_name: flowName, params, tag: "default" }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { run_id: string }).run_id;
}

async function dlqEntryOf(runId: string): Promise<DlqEntry> {
  return waitFor(async () => {
    const page = (await api("GET", "/dlq?limit=500")).json as DlqPage;
    return page.items.find((e) => e.run_id === runId) ?? null;
  }, { timeoutMs: 30_000, intervalMs: 50, what: `dlq entry of ${runId}` });
}

async function newKey(tenant: string): Promise<string> {
  const { record, apiKey } = generateApiKey(tenant, null, Date.now() / 1000);
  await secured.js.apiKeys.create(apiKeyKvKey(record.key_id), record);
  return apiKey;
}

const ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({ workerEnv: { PYOCO_CONSUMER_MAX_DELIVER: "1" } });
  secured = await startTestGateway(stack.natsUrl, { authMode: "api_key" });
  keyA = await newKey("tenant-a");
  keyB = await newKey("tenant-b");
  ids.boomA1 = await submitAs(keyA, "boom", { n: 1 });
  ids.boomA2 = await submitAs(keyA, "boom", { n: 2 });
  ids.missingA = await submitAs(keyA, "no_such_flow", { n: 3 });
  ids.boomB = await submitAs(keyB, "boom", { n: 4 });
  const form = new FormData();
  form.append("workflow", new File([BOOM_YAML], "flow.yaml"));
  form.append("flow_name", "yaml_boom");
  const yamlRes = await fetch(`${secured.baseUrl}/runs/yaml`, { method: "POST", headers: { "X-API-Key": keyA }, body: form });
  ids.yamlA = ((await yamlRes.json()) as { run_id: string }).run_id;
  for (const id of Object.values(ids)) await dlqEntryOf(id);
}, 90_000);

afterAll(async () => {
  await secured?.stop();
  await stack?.stop();
});

describe("GET /dlq", () => {
  test("lists the failed runs newest first, with the record's fields and without the bulky ones", async () => {
    const { status, json } = await api("GET", "/dlq");
    expect(status).toBe(200);
    const page = json as DlqPage;
    const seqs = page.items.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    const boom = page.items.find((e) => e.run_id === ids.boomA1)!;
    expect(boom).toMatchObject({ reason: "execution_error", error: "boom", flow_name: "boom", tag: "default", tenant_id: "tenant-a", subject: "pyoco.dlq.default" });
    expect(boom.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(boom.params).toBeUndefined();
    expect(page.next_cursor).toBeNull();
  });

  test("filters by reason, flow and time, and pages with the cursor", async () => {
    const missing = (await api("GET", "/dlq?reason=flow_not_found")).json as DlqPage;
    expect(missing.items.map((e) => e.run_id)).toEqual([ids.missingA]);
    const booms = (await api("GET", "/dlq?flow=boom")).json as DlqPage;
    expect(new Set(booms.items.map((e) => e.run_id))).toEqual(new Set([ids.boomA1, ids.boomA2, ids.boomB]));
    const future = (await api("GET", `/dlq?since=${Date.now() / 1000 + 3600}`)).json as DlqPage;
    expect(future.items).toEqual([]);
    const past = (await api("GET", "/dlq?until=1")).json as DlqPage;
    expect(past.items).toEqual([]);

    const all = ((await api("GET", "/dlq?limit=500")).json as DlqPage).items.map((e) => e.seq);
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const page: DlqPage = (await api("GET", `/dlq?limit=2${cursor ? `&cursor=${cursor}` : ""}`)).json;
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((e) => e.seq));
      cursor = page.next_cursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  test("rejects a malformed cursor and a bad limit", async () => {
    expect(await api("GET", "/dlq?cursor=abc")).toEqual({ status: 422, json: { detail: "invalid dlq query" } });
    expect((await api("GET", "/dlq?limit=0")).status).toBe(422);
  });
});

describe("GET /dlq/groups and /dlq/{seq}", () => {
  test("groups entries of the same failure with count, first/last seen and a sample", async () => {
    const { json } = await api("GET", "/dlq/groups", keyA);
    const groups = json.items as DlqGroup[];
    const boom = groups.find((g) => g.flow_name === "boom")!;
    expect(boom).toMatchObject({ reason: "execution_error", count: 2, tags: ["default"], error_pattern: "boom" });
    expect(boom.first_seen).toBeLessThanOrEqual(boom.last_seen);
    expect([ids.boomA1, ids.boomA2]).toContain(boom.sample.run_id!);
    expect(groups.find((g) => g.reason === "flow_not_found")!.count).toBe(1);
    expect(groups.map((g) => g.last_seen)).toEqual(groups.map((g) => g.last_seen).sort((a, b) => b - a));
  });

  test("shows one entry with its params and flow.yaml; unknown ids are 404", async () => {
    const entry = await dlqEntryOf(ids.yamlA);
    const { status, json } = await api("GET", `/dlq/${entry.seq}`, keyA);
    expect(status).toBe(200);
    expect(json).toMatchObject({ seq: entry.seq, run_id: ids.yamlA, params: { x: 7 }, workflow_yaml: BOOM_YAML, requeued_run_id: null });
    expect(await api("GET", "/dlq/999999")).toEqual({ status: 404, json: { detail: "dlq entry not found" } });
    expect((await api("GET", "/dlq/abc")).status).toBe(404);
  });
});

describe("tenant scoping", () => {
  test("another tenant's entries are invisible: list, groups, show, requeue and delete", async () => {
    const b = await dlqEntryOf(ids.boomB);
    const listA = (await api("GET", "/dlq", keyA)).json as DlqPage;
    expect(listA.items.every((e) => e.tenant_id === "tenant-a")).toBe(true);
    expect(listA.items.map((e) => e.run_id)).not.toContain(ids.boomB);
    const groupsB = (await api("GET", "/dlq/groups", keyB)).json.items as DlqGroup[];
    expect(groupsB.map((g) => g.count)).toEqual([1]);
    expect((await api("GET", `/dlq/${b.seq}`, keyA)).status).toBe(404);
    expect((await api("POST", `/dlq/${b.seq}/requeue`, keyA)).status).toBe(404);
    expect((await api("DELETE", `/dlq/${b.seq}`, keyA)).status).toBe(404);
    expect((await api("GET", `/dlq/${b.seq}`, keyB)).status).toBe(200);
    expect((await api("GET", "/dlq")).status).toBe(200);   // auth off on the other gateway: everything
    expect((await fetch(`${secured.baseUrl}/dlq`)).status).toBe(401);
  });
});

describe("POST /dlq/{seq}/requeue", () => {
  test("two concurrent requeues of one entry make exactly one run with the same flow, params and tag", async () => {
    const entry = await dlqEntryOf(ids.boomA1);
    const [r1, r2] = await Promise.all([api("POST", `/dlq/${entry.seq}/requeue`, keyA), api("POST", `/dlq/${entry.seq}/requeue`, keyA)]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect(r1.json.run_id).toBe(r2.json.run_id);
    expect([r1.json.created, r2.json.created].sort()).toEqual([false, true]);
    const runId = r1.json.run_id as string;
    expect(runId).not.toBe(ids.boomA1);

    const run = (await api("GET", `/runs/${runId}`, keyA)).json;
    expect(run).toMatchObject({ flow_name: "boom", params: { n: 1 }, tag: "default", tenant_id: "tenant-a", requeued_from: ids.boomA1 });
    expect(run.requeued_from_dlq).toMatchObject({ seq: entry.seq, reason: "execution_error" });
    // The new run really executes (and fails again, into the same group).
    await waitFor(async () => ((await api("GET", `/runs/${runId}`, keyA)).json.status === "FAILED" ? true : null), { timeoutMs: 30_000, intervalMs: 50, what: "requeued run FAILED" });
    const again = await dlqEntryOf(runId);
    expect(again.fingerprint).toBe(entry.fingerprint);
    expect((await api("GET", `/runs/${runId}`, keyA)).json.requeued_from).toBe(ids.boomA1);

    const third = await api("POST", `/dlq/${entry.seq}/requeue`, keyA);
    expect(third.json).toMatchObject({ run_id: runId, created: false, status: "FAILED" });
    const listed = ((await api("GET", "/dlq?limit=500", keyA)).json as DlqPage).items.find((e) => e.seq === entry.seq)!;
    expect(listed.requeued_run_id).toBe(runId);
    const runs = (await api("GET", "/runs?flow=boom&limit=200", keyA)).json as { run_id: string }[];
    expect(runs.filter((r) => r.run_id === runId)).toHaveLength(1);
  }, 60_000);

  test("a flow.yaml run is requeued with its YAML", async () => {
    const entry = await dlqEntryOf(ids.yamlA);
    const { json } = await api("POST", `/dlq/${entry.seq}/requeue`, keyA);
    expect(json.created).toBe(true);
    const original = (await api("GET", `/runs/${ids.yamlA}`, keyA)).json;
    const run = (await api("GET", `/runs/${json.run_id}`, keyA)).json;
    expect(run.workflow_yaml_sha256).toBe(original.workflow_yaml_sha256);
    expect(run.params).toEqual({ x: 7 });
    const failed = await dlqEntryOf(json.run_id);
    expect(failed).toMatchObject({ reason: "execution_error", flow_name: "yaml_boom" });
  }, 60_000);

  test("a record without params (as the Python worker writes them) takes them from the run; a flow.yaml run without its text is 409", async () => {
    const js = stack.gateway.js;
    const legacy = (runId: string, flow: string) => js.dlq.publish("nowhere", "execution_error", "boom", Date.now() / 1000, {
      run_id: runId, flow_name: flow, tag: "nowhere", tags: ["nowhere"], tenant_id: null, api_key_id: null, worker_id: "python-worker",
    });
    const runId = await stack.submit("boom", { from: "snapshot" }, "nowhere");   // a tag no worker serves
    await legacy(runId, "boom");
    const entry = await dlqEntryOf(runId);
    const res = await api("POST", `/dlq/${entry.seq}/requeue`);
    expect(res.json).toMatchObject({ created: true, status: "PENDING" });
    expect((await api("GET", `/runs/${res.json.run_id}`)).json).toMatchObject({ params: { from: "snapshot" }, tag: "nowhere", requeued_from: runId });

    const form = new FormData();
    form.append("workflow", new File([BOOM_YAML], "flow.yaml"));
    form.append("flow_name", "yaml_boom");
    form.append("tag", "nowhere");
    const yamlRun = ((await (await fetch(`${stack.baseUrl}/runs/yaml`, { method: "POST", body: form })).json()) as { run_id: string }).run_id;
    await legacy(yamlRun, "yaml_boom");
    const yamlEntry = await dlqEntryOf(yamlRun);
    const refused = await api("POST", `/dlq/${yamlEntry.seq}/requeue`);
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain("flow.yaml");
  }, 40_000);

  test("an invalid_job entry cannot be requeued (409)", async () => {
    await stack.gateway.js.queue.publish("default", { run_id: "not-a-real-run" }, crypto.randomUUID());
    const entry = await waitFor(async () => ((await api("GET", "/dlq?reason=invalid_job")).json as DlqPage).items[0] ?? null, { timeoutMs: 30_000, intervalMs: 50, what: "invalid_job entry" });
    const { status, json } = await api("POST", `/dlq/${entry.seq}/requeue`);
    expect(status).toBe(409);
    expect(json.detail).toMatch(/^dlq entry cannot be requeued: /);
  }, 40_000);
});

describe("group requeue and delete", () => {
  test("POST /dlq/groups/{fp}/requeue requeues every entry; DELETE removes entries and groups", async () => {
    const missing = await dlqEntryOf(ids.missingA);
    const res = await api("POST", `/dlq/groups/${missing.fingerprint}/requeue`, keyA);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ fingerprint: missing.fingerprint, count: 1 });
    expect(res.json.requeued[0]).toMatchObject({ seq: missing.seq, created: true, status: "PENDING" });
    const repeat = await api("POST", `/dlq/groups/${missing.fingerprint}/requeue`, keyA);
    // The requeued run failed into the same group again, so the group can have grown; the first entry's run is the same.
    expect(repeat.json.requeued.find((r: { seq: number }) => r.seq === missing.seq)).toMatchObject({ run_id: res.json.requeued[0].run_id, created: false });

    const del = await api("DELETE", `/dlq/${missing.seq}`, keyA);
    expect(del).toEqual({ status: 200, json: { seq: missing.seq, deleted: true } });
    expect((await api("GET", `/dlq/${missing.seq}`, keyA)).status).toBe(404);
    expect((await api("DELETE", `/dlq/${missing.seq}`, keyA)).status).toBe(404);

    const boom = await dlqEntryOf(ids.boomA2);
    const before = ((await api("GET", "/dlq/groups", keyA)).json.items as DlqGroup[]).find((g) => g.fingerprint === boom.fingerprint)!;
    const delGroup = await api("DELETE", `/dlq/groups/${boom.fingerprint}`, keyA);
    expect(delGroup.json).toEqual({ fingerprint: boom.fingerprint, deleted: before.count });
    const after = (await api("GET", "/dlq/groups", keyA)).json.items as DlqGroup[];
    expect(after.find((g) => g.fingerprint === boom.fingerprint)).toBeUndefined();
    // Tenant B's entry of the same failure is untouched.
    expect((await api("GET", `/dlq/${(await dlqEntryOf(ids.boomB)).seq}`, keyB)).status).toBe(200);
    expect((await api("DELETE", "/dlq/groups/0000000000000000", keyA)).status).toBe(404);
    expect((await api("POST", "/dlq/groups/nothex/requeue", keyA)).status).toBe(404);
  }, 60_000);
});

describe("pyoco client dlq", () => {
  async function cli(...args: string[]) {
    const io = captureIo();
    const code = await run(["client", "--server", stack.baseUrl, "dlq", ...args], io);
    let json: any;
    try { json = JSON.parse(io.out); } catch { json = undefined; }
    return { code, out: io.out, err: io.err, json };
  }

  test("list, groups, show, requeue and purge, as JSON and as tables", async () => {
    const runId = await stack.submit("boom", { cli: 1 });
    const entry = await dlqEntryOf(runId);

    const table = await cli("list", "--flow", "boom", "--output", "table");
    expect(table.code).toBe(0);
    expect(table.out.split("\n")[0]).toMatch(/^seq\s+received_at\s+reason\s+flow_name\s+tag\s+run_id\s+error\s+requeued_run_id/);
    expect(table.out).toContain(runId);
    const page = await cli("list", "--flow", "boom", "--limit", "1");
    expect(page.json.items).toHaveLength(1);
    expect(page.json.items[0].run_id).toBe(runId);
    const groups = await cli("groups", "--output", "table", "--flow", "boom");
    expect(groups.out).toContain(entry.fingerprint);
    expect((await cli("groups")).json.items.length).toBeGreaterThan(0);
    expect((await cli("show", String(entry.seq))).json).toMatchObject({ seq: entry.seq, params: { cli: 1 } });

    const first = await cli("requeue", String(entry.seq));
    expect(first.json).toMatchObject({ seq: entry.seq, created: true, status: "PENDING" });
    const second = await cli("requeue", String(entry.seq), "--output", "table");
    expect(second.out).toContain(first.json.run_id);
    expect(second.out).toMatch(/False/);

    expect((await cli("purge", String(entry.seq))).json).toEqual({ seq: entry.seq, deleted: true });
    const gone = await cli("show", String(entry.seq));
    expect(gone.code).toBe(1);
    expect(gone.err).toContain("ERR-PYOCO-HTTP");
    expect(gone.err).toContain("dlq entry not found");
  }, 60_000);

  test("usage errors exit 1 with a hint; --help exits 0", async () => {
    const missing = await cli("requeue");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("seq (or --group FINGERPRINT)");
    expect((await cli("show", "abc")).code).toBe(1);
    const bogus = await cli("frobnicate");
    expect(bogus.code).toBe(1);
    expect(bogus.err).toContain("invalid choice");
    const help = await cli("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("requeue");
    expect((await cli("list", "--help")).out).toContain("--reason");
  });
});

/**
 * POST /runs and POST /runs/yaml against a real nats-server: what is stored, what is published,
 * the FastAPI-shaped validation errors, the YAML policy errors, and the atomic clean-up when the
 * publish fails (no orphan run).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let gw: TestGateway;
beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url, { workflowYamlMaxBytes: 2048 });
});
afterAll(async () => { await gw.stop(); await nats.stop(); });

/** Take the next job published for `tag` (acknowledged, so the next call sees the next one). */
async function takeJob(js: PyocoJetStream, tag: string): Promise<Record<string, unknown>> {
  await js.queue.ensureConsumer(tag, { ackWaitSec: 30, maxDeliver: 3, maxAckPending: 10 });
  const d = await js.queue.next(tag, 2000);
  if (!d) throw new Error(`no job published on tag ${tag}`);
  await d.ack();
  return JSON.parse(new TextDecoder().decode(d.data));
}

function yamlForm(workflow: string | Uint8Array | null, fields: Record<string, string>): FormData {
  const form = new FormData();
  if (workflow !== null) form.append("workflow", new File([workflow as BlobPart], "flow.yaml", { type: "application/x-yaml" }));
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

const FLOW_YAML = readFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");

describe("POST /runs", () => {
  test("stores the PENDING snapshot, publishes the job on the tag's subject and answers with the run id", async () => {
    const r = await gw.call("POST", "/runs", { json: { flow_name: "main", params: { x: 1, name: "ä" }, tag: "sub1", tags: ["a", "b"] } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ run_id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "PENDING", bundle_hash: null });
    const stored = (await gw.js.runs.get(r.json.run_id))!.value;
    expect(Object.keys(stored)).toEqual(["run_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "status", "params", "tasks",
      "task_records", "start_time", "end_time", "heartbeat_at", "updated_at", "error"]);
    expect(stored).toMatchObject({ run_id: r.json.run_id, flow_name: "main", tag: "sub1", tags: ["a", "b"], status: "PENDING", params: { x: 1, name: "ä" }, tenant_id: null });
    const job = await takeJob(gw.js, "sub1");
    expect(Object.keys(job)).toEqual(["run_id", "flow_name", "tag", "tags", "tenant_id", "api_key_id", "params", "submitted_at"]);
    expect(job).toMatchObject({ run_id: r.json.run_id, flow_name: "main", tag: "sub1", tags: ["a", "b"], params: { x: 1, name: "ä" } });
  });

  test("without a tag the run goes to PYOCO_DEFAULT_TAG and empty tags become [tag]", async () => {
    const r = await gw.call("POST", "/runs", { json: { flow_name: "main" } });
    const stored = (await gw.js.runs.get(r.json.run_id))!.value;
    expect(stored).toMatchObject({ tag: "default", tags: ["default"], params: {} });
    expect((await takeJob(gw.js, "default")).run_id).toBe(r.json.run_id);
  });

  test("identical requests create distinct runs", async () => {
    const a = await gw.call("POST", "/runs", { json: { flow_name: "main", tag: "dup" } });
    const b = await gw.call("POST", "/runs", { json: { flow_name: "main", tag: "dup" } });
    expect(a.json.run_id).not.toBe(b.json.run_id);
  });

  test("invalid bodies answer 422 with the FastAPI list of issues", async () => {
    const missingBody = await gw.call("POST", "/runs");
    expect(missingBody.status).toBe(422);
    expect(missingBody.json).toEqual({ detail: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] });

    const missingField = await gw.call("POST", "/runs", { json: {} });
    expect(missingField.json.detail).toEqual([{ type: "missing", loc: ["body", "flow_name"], msg: "Field required", input: {} }]);

    const pattern = await gw.call("POST", "/runs", { json: { flow_name: "m", tag: "a.b" } });
    expect(pattern.json.detail).toEqual([{
      type: "string_pattern_mismatch", loc: ["body", "tag"], msg: "String should match pattern '^[A-Za-z0-9_-]+$'", input: "a.b", ctx: { pattern: "^[A-Za-z0-9_-]+$" },
    }]);

    const wrongTypes = await gw.call("POST", "/runs", { json: { flow_name: "", params: [], tags: "x" } });
    expect(wrongTypes.json.detail.map((i: { type: string; loc: unknown[] }) => [i.type, i.loc])).toEqual([
      ["string_too_short", ["body", "flow_name"]], ["dict_type", ["body", "params"]], ["list_type", ["body", "tags"]],
    ]);

    const notJson = await gw.call("POST", "/runs", { body: "{oops", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(422);
    expect(notJson.json.detail[0].type).toBe("json_invalid");

    const empty = await gw.call("POST", "/runs", { json: { flow_name: "m", tag: "" } });
    expect(empty.json.detail[0].type).toBe("string_pattern_mismatch");
  });

  test("a failed publish answers 503 and leaves no run behind", async () => {
    // Own server: deleting the work stream must not disturb the other tests.
    const server = await startNatsServer();
    const own = await startTestGateway(server.url);
    try {
      const ok = await own.call("POST", "/runs", { json: { flow_name: "main" } });
      expect(ok.status).toBe(200);
      const before = [...(await own.js.runs.all()).keys()];
      await own.js.deleteStream("PYOCO_WORK");
      const r = await own.call("POST", "/runs", { json: { flow_name: "main" } });
      expect(r.status).toBe(503);
      expect(r.json.detail).toStartWith("nats unavailable: ");
      expect([...(await own.js.runs.all()).keys()]).toEqual(before);
      const listed = await own.call("GET", "/runs");
      expect(listed.json.map((x: { run_id: string }) => x.run_id)).toEqual(before);
    } finally { await own.stop(); await server.stop(); }
  });
});

describe("POST /runs/yaml", () => {
  test("records sha256 and size, uses flow.defaults as params and sends the YAML in the job", async () => {
    const r = await gw.call("POST", "/runs/yaml", { body: yamlForm(FLOW_YAML, { flow_name: "main", tag: "yaml1" }) });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: "PENDING", bundle_hash: null });
    const sha = new Bun.CryptoHasher("sha256").update(FLOW_YAML).digest("hex");
    const stored = (await gw.js.runs.get(r.json.run_id))!.value;
    expect(stored).toMatchObject({
      flow_name: "main", tag: "yaml1", tags: ["yaml1"], params: { x: 1 }, status: "PENDING",
      workflow_yaml_sha256: sha, workflow_yaml_bytes: FLOW_YAML.length, schedule_id: null,
    });
    const job = await takeJob(gw.js, "yaml1");
    expect(job).toMatchObject({ run_id: r.json.run_id, workflow_yaml: FLOW_YAML, workflow_yaml_sha256: sha, workflow_yaml_bytes: FLOW_YAML.length, schedule_id: null, params: { x: 1 } });
  });

  test("an empty tag field means the default tag", async () => {
    const r = await gw.call("POST", "/runs/yaml", { body: yamlForm(FLOW_YAML, { flow_name: "main", tag: "" }) });
    expect(r.status).toBe(200);
    expect((await gw.js.runs.get(r.json.run_id))!.value.tag).toBe("default");
  });

  test("policy violations answer with the original's fixed details", async () => {
    const cases: [FormData, number, string][] = [
      [yamlForm(FLOW_YAML, { flow_name: "main", tag: "a.b" }), 422, "invalid tag"],
      [yamlForm("x".repeat(2049), { flow_name: "main" }), 413, "workflow too large"],
      [yamlForm("flows: {}\n", { flow_name: "main" }), 422, "invalid workflow yaml"],
      [yamlForm("version: 1\nextra: 1\nflow: {graph: a}\n", { flow_name: "main" }), 422, "invalid workflow yaml"],
      [yamlForm("flow: {graph: ''}\n", { flow_name: "main" }), 422, "invalid workflow yaml"],
      [yamlForm("- a\n- b\n", { flow_name: "main" }), 422, "invalid workflow yaml"],
      [yamlForm(new Uint8Array([0xff, 0xfe, 0x00]), { flow_name: "main" }), 422, "invalid workflow yaml"],
      [yamlForm(FLOW_YAML, { flow_name: "   " }), 422, "missing flow_name"],
    ];
    for (const [form, status, detail] of cases) {
      const r = await gw.call("POST", "/runs/yaml", { body: form });
      expect([r.status, r.json.detail]).toEqual([status, detail]);
    }
  });

  test("a refused flow.yaml says why and where, next to the unchanged detail", async () => {
    const r = await gw.call("POST", "/runs/yaml", { body: yamlForm("version: 1\nflow:\n  graph: a\nextra_top: 1\n", { flow_name: "main" }) });
    expect(r.status).toBe(422);
    expect(r.json).toEqual({
      detail: "invalid workflow yaml", reason: "unknown_top_level_keys: ['extra_top']",
      errors: [{ code: "unknown_top_level_keys", message: "unknown top-level key 'extra_top'", path: ["extra_top"], line: 4, column: 1,
        expected: "one of the keys version, flow, tasks, runtime" }],
    });
    const syntax = await gw.call("POST", "/runs/yaml", { body: yamlForm("flow:\n  graph: a\n  defaults: {x: [1}\n", { flow_name: "main" }) });
    expect(syntax.json).toMatchObject({ detail: "invalid workflow yaml", reason: "invalid_yaml", errors: [{ code: "invalid_yaml", line: 3 }] });
  });

  test("a graph naming an undefined task is refused at submit, and nothing is queued", async () => {
    const before = (await gw.js.runs.all()).size;
    const r = await gw.call("POST", "/runs/yaml", { body: yamlForm("flow:\n  graph: a >> c\ntasks:\n  a: {callable: 'm:a'}\n", { flow_name: "main" }) });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ detail: "invalid workflow yaml", reason: "unknown_graph_names: ['c']", errors: [{ path: ["flow", "graph"], line: 2, column: 15 }] });
    expect((await gw.js.runs.all()).size).toBe(before);
  });

  test("missing form fields answer the FastAPI list (an empty value counts as missing)", async () => {
    const r = await gw.call("POST", "/runs/yaml", { body: yamlForm(null, { flow_name: "" }) });
    expect(r.status).toBe(422);
    expect(r.json.detail).toEqual([
      { type: "missing", loc: ["body", "workflow"], msg: "Field required", input: null },
      { type: "missing", loc: ["body", "flow_name"], msg: "Field required", input: null },
    ]);
  });
});

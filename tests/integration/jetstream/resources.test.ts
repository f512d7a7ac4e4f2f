/** ensureResources against a real nats-server: exact resources and settings, idempotent, race-safe, never modifies. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { testSettings } from "../../helpers/settings.ts";

let nats: NatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { await nats.stop(); });

const NS = 1_000_000_000;

describe("ensureResources", () => {
  test("creates exactly the streams, KV buckets and object store of the contract", async () => {
    const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
    try {
      const results = await js.ensureResources();
      expect(results.every((r) => r.created)).toBe(true);
      expect(await js.streamNames()).toEqual([
        "KV_pyoco_auth", "KV_pyoco_run_relations", "KV_pyoco_runs", "KV_pyoco_wheel_history", "KV_pyoco_workers",
        "KV_pyoco_workflow_bundles", "KV_pyoco_yaml_schedules", "OBJ_pyoco_wheels", "PYOCO_DLQ", "PYOCO_LOGS", "PYOCO_WORK",
      ]);
      const work = (await js.stream("PYOCO_WORK"))!.config;
      expect(work).toMatchObject({ subjects: ["pyoco.work.>"], retention: "workqueue", storage: "file" });
      const dlq = (await js.stream("PYOCO_DLQ"))!.config;
      expect(dlq).toMatchObject({ subjects: ["pyoco.dlq.>"], retention: "limits", max_age: 604800 * NS, max_msgs: 100000, max_bytes: 536870912 });
      const logs = (await js.stream("PYOCO_LOGS"))!.config;
      expect(logs).toMatchObject({ subjects: ["pyoco.logs.>"], retention: "limits", discard: "old", max_age: 604800 * NS, max_bytes: 1073741824, max_msgs_per_subject: 10002 });
      const runs = (await js.stream("KV_pyoco_runs"))!.config;
      expect(runs).toMatchObject({
        subjects: ["$KV.pyoco_runs.>"], max_msgs_per_subject: 1, max_age: 0, allow_rollup_hdrs: true, deny_delete: true,
        discard: "new", duplicate_window: 120 * NS,
      });
      expect((await js.stream("KV_pyoco_yaml_schedules"))!.config.max_msgs_per_subject).toBe(5);
      expect((await js.stream("KV_pyoco_wheel_history"))!.config.max_age).toBe(7776000 * NS);
      // decisions.md §3.11: the workers bucket TTL is far longer than the 20 s disconnect timeout.
      expect((await js.stream("KV_pyoco_workers"))!.config.max_age).toBe(86400 * NS);
    } finally { await js.close(); }
  });

  test("running it again succeeds and creates nothing", async () => {
    const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
    try {
      const results = await js.ensureResources();
      expect(results.filter((r) => r.created)).toEqual([]);
      expect(results).toHaveLength(11);
    } finally { await js.close(); }
  });

  test("two processes racing on an empty server both succeed", async () => {
    const server = await startNatsServer();
    try {
      const [a, b] = await Promise.all([0, 1].map(() => PyocoJetStream.connect(testSettings(server.url), { name: "race", log: silentLogger })));
      const [ra, rb] = await Promise.all([a!.ensureResources(), b!.ensureResources()]);
      expect(ra).toHaveLength(11);
      expect(rb).toHaveLength(11);
      expect((await a!.streamNames()).length).toBe(11);
      await Promise.all([a!.close(), b!.close()]);
    } finally { await server.stop(); }
  });

  test("an existing bucket with other settings is left untouched", async () => {
    const server = await startNatsServer();
    try {
      const custom = await PyocoJetStream.connect(testSettings(server.url, { workersTtlSec: 15, dlqMaxMsgs: 10 }), { name: "custom", log: silentLogger });
      await custom.ensureResources();
      await custom.close();
      const js = await PyocoJetStream.connect(testSettings(server.url), { name: "default", log: silentLogger });
      const results = await js.ensureResources();
      expect(results.filter((r) => r.created)).toEqual([]);
      expect((await js.stream("KV_pyoco_workers"))!.config.max_age).toBe(15 * NS);
      expect((await js.stream("PYOCO_DLQ"))!.config.max_msgs).toBe(10);
      await js.close();
    } finally { await server.stop(); }
  });
});

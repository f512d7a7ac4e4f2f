/**
 * `pyoco nats backup` on a single node with every kind of data → a fresh 3-node cluster →
 * `pyoco nats restore`: runs, worker records, API keys, wheels and their history, DLQ records and
 * jobs still waiting in the work queue (they run after the restore) all come back; a file that
 * is truncated or a target that is not empty is refused without changing anything.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { pyocoEnv, runPyoco, startCluster, type TestCluster } from "../helpers/cluster.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { buildWheel, wheelForm } from "../helpers/wheels.ts";
import { startWorker } from "../helpers/worker.ts";

let dir: string;
let source: NatsServer;
let target: TestCluster | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyoco-backup-"));
  source = await startNatsServer();
});
afterAll(async () => {
  await source?.stop();
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function submit(gw: TestGateway, flow: string, tag: string): Promise<string> {
  const r = await gw.call("POST", "/runs", { json: { flow_name: flow, tag, params: { x: 1 } } });
  expect(r.status).toBe(200);
  return r.json.run_id as string;
}

const status = async (gw: TestGateway, id: string) => (await gw.call("GET", `/runs/${id}`)).json?.status as string | undefined;

test("backup → fresh cluster → restore keeps runs, workers, API keys, wheels + history, DLQ and waiting jobs", async () => {
  // --- data on the source -----------------------------------------------------------------
  const gw = await startTestGateway(source.url);
  const worker = await startWorker({ natsUrl: source.url, tags: ["done"], workerId: "w-backup" });
  const done = await submit(gw, "add", "done");
  const failed = await submit(gw, "boom", "done");
  await waitFor(async () => (await status(gw, done)) === "COMPLETED" && (await status(gw, failed)) === "FAILED", { timeoutMs: 30_000, what: "source runs" });
  await worker.stop();
  const waiting = [await submit(gw, "add", "later"), await submit(gw, "add", "later")];
  const key = await runPyoco(["admin", "--nats-url", source.url, "api-key", "create", "--tenant", "team-a"], pyocoEnv());
  expect(key.code).toBe(0);
  const wheelPath = await buildWheel(dir, { name: "bk_demo", version: "1.2.3", modules: { "bk_demo/__init__.py": "X = 1\n" } });
  const wheelFile = wheelPath.split("/").pop()!;
  const wheelBytes = readFileSync(wheelPath);
  const up = await fetch(`${gw.baseUrl}/wheels`, { method: "POST", body: wheelForm(wheelFile, wheelBytes, { tags: "cpu" }) });
  expect(up.status).toBeLessThan(300);
  const before = {
    workers: (await gw.call("GET", "/workers")).json,
    dlq: (await gw.call("GET", "/dlq")).json,
    history: (await gw.call("GET", "/wheels/history")).json,
    keys: JSON.parse((await runPyoco(["admin", "--nats-url", source.url, "api-key", "list"], pyocoEnv())).out),
  };
  expect(JSON.stringify(before.dlq)).toContain(failed);
  await gw.stop();

  // --- backup --------------------------------------------------------------------------------
  const file = join(dir, "pyoco.backup.jsonl");
  const b = await runPyoco(["nats", "backup", "--out", file, "--nats-url", source.url], pyocoEnv());
  expect(b.err).toContain("backup KV_pyoco_runs");
  expect(b.err).toMatch(/\[#+\] \d+\/\d+/);   // progress bar
  expect(b.code).toBe(0);
  expect(b.out).toMatch(/backed up \d+ streams, \d+ messages/);

  // --- a fresh cluster; a truncated file is refused and changes nothing ----------------------
  target = await startCluster({});
  const truncated = join(dir, "truncated.jsonl");
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  writeFileSync(truncated, lines.slice(0, -3).join("\n") + "\n");
  const bad = await target.pyoco(["nats", "restore", "--in", truncated, "--nats-url", target.seedUrl]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("unusable backup file");
  // The new cluster answers once it has a JetStream meta leader; nothing was created.
  const empty = await waitFor(async () => {
    const st = await target!.pyoco(["nats", "status", "--output", "json", "--nats-url", target!.seedUrl]);
    return st.code === 0 ? JSON.parse(st.out) : null;
  }, { timeoutMs: 30_000, intervalMs: 500, what: "the new cluster's JetStream" });
  expect(empty.stream_details).toEqual([]);

  const r = await target.pyoco(["nats", "restore", "--in", file, "--nats-url", target.seedUrl]);
  if (r.code !== 0) throw new Error(r.err);
  expect(r.out).toContain("(replicas 3)");
  expect(r.err).toContain("restore KV_pyoco_runs");
  // A second restore onto the now non-empty target is refused without --confirm.
  const again = await target.pyoco(["nats", "restore", "--in", file, "--nats-url", target.seedUrl]);
  expect(again.code).toBe(1);
  expect(again.err).toContain("the target is not empty");
  expect(again.err).toContain("--confirm");

  // --- everything is back ---------------------------------------------------------------------
  const gw2 = await startTestGateway(target.seedUrl);
  try {
    expect(await status(gw2, done)).toBe("COMPLETED");
    expect(await status(gw2, failed)).toBe("FAILED");
    for (const id of waiting) expect(await status(gw2, id)).toBe("PENDING");
    expect((await gw2.call("GET", "/workers")).json).toEqual(before.workers);
    // DLQ records come back whole; only received_at (the stream's store time) is the restore's.
    const noTime = (j: any) => ({ ...j, items: j.items.map((i: any) => ({ ...i, received_at: undefined })) });
    expect(noTime((await gw2.call("GET", "/dlq")).json)).toEqual(noTime(before.dlq));
    expect((await gw2.call("GET", "/wheels/history")).json).toEqual(before.history);
    const dl = await fetch(`${gw2.baseUrl}/wheels/${wheelFile}`);
    expect(dl.status).toBe(200);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(new Uint8Array(wheelBytes));
    const keys = await target.pyoco(["admin", "--nats-url", target.seedUrl, "api-key", "list"]);
    expect(JSON.parse(keys.out)).toEqual(before.keys);
    const report = JSON.parse((await target.pyoco(["nats", "status", "--output", "json", "--nats-url", target.seedUrl])).out);
    for (const d of report.stream_details) expect({ name: d.name, replicas: d.replicas }).toEqual({ name: d.name, replicas: 3 });

    // The jobs that were waiting run now.
    const w2 = await startWorker({ natsUrl: target.seedUrl, tags: ["later"], workerId: "w-restored" });
    try {
      await waitFor(async () => (await Promise.all(waiting.map((id) => status(gw2, id)))).every((s) => s === "COMPLETED"), { timeoutMs: 60_000, what: "waiting jobs to run" });
    } finally { await w2.stop(); }
  } finally { await gw2.stop(); }
}, 240_000);

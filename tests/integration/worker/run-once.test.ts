/**
 * `pyoco worker --run-once` (the original's flag): process what is queued now, then exit 0 with
 * the registry saying STOPPED_GRACEFUL. Real nats-server, worker subprocess, Python test double.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { PyocoJetStream } from "../../../src/jetstream/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { testSettings } from "../../helpers/settings.ts";
import { startWorker } from "../../helpers/worker.ts";
import { submitRun } from "./support.ts";

let nats: NatsServer;
let js: PyocoJetStream;
beforeAll(async () => {
  nats = await startNatsServer();
  js = await PyocoJetStream.connect(testSettings(nats.url), { name: "test", log: silentLogger });
  await js.ensureResources();
});
afterAll(async () => { await js?.close(); await nats?.stop(); });

test("--run-once runs every queued job of its tags, then exits 0 (STOPPED_GRACEFUL)", async () => {
  const ids = [await submitRun(js, "add", { tag: "once-a", params: { x: 1 } }), await submitRun(js, "add", { tag: "once-a", params: { x: 2 } }),
    await submitRun(js, "add", { tag: "once-b", params: { x: 3 } })];
  const other = await submitRun(js, "add", { tag: "not-mine", params: { x: 4 } });
  const w = await startWorker({ natsUrl: nats.url, tags: ["once-a", "once-b"], workerId: "once-1", args: ["--run-once", "--poll-timeout", "1.5", "--concurrency", "2"] });
  const code = await Promise.race([w.exited, Bun.sleep(30_000).then(() => "still running")]);
  if (code === "still running") await w.stop();
  expect(code).toBe(0);
  for (const id of ids) expect((await js.runs.get(id))!.value).toMatchObject({ status: "COMPLETED", worker_id: "once-1" });
  expect((await js.runs.get(other))!.value.status).toBe("PENDING");
  expect((await js.workers.get("once-1"))!.value).toMatchObject({ state: "STOPPED_GRACEFUL", stop_reason: "graceful_shutdown" });
  expect(w.logs().some((l) => l.message === "queue empty; stopping (--run-once)")).toBe(true);
});

test("--run-once with nothing queued exits 0 after one poll", async () => {
  const w = await startWorker({ natsUrl: nats.url, tags: ["empty-tag"], workerId: "once-2", args: ["--run-once"] });
  const code = await Promise.race([w.exited, Bun.sleep(20_000).then(() => "still running")]);
  if (code === "still running") await w.stop();
  expect(code).toBe(0);
});

test("a bad --poll-timeout is a usage error naming the flag", async () => {
  const w = await startWorker({ natsUrl: nats.url, tags: ["x"], args: ["--poll-timeout", "soon"], waitReady: false });
  expect(await w.exited).toBe(1);
  expect(w.stderr()).toContain("- reason: argument --poll-timeout: invalid float value: 'soon'");
});

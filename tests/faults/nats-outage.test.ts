/**
 * Fault: nats-server stopped with SIGTERM, then killed with SIGKILL, each time restarted on the
 * same port and store, while four clients keep submitting runs to a listening gateway served by
 * one worker subprocess. Expected: every answer is 200 or 503 (no other status, no hang, no
 * dropped connection); every run answered 200 exists and completes; the same gateway and the
 * same worker process recover without a restart. (Found: submits in flight when NATS went away
 * waited 5-10 s for NATS.js request timeouts; they now fail fast with 503.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { isTerminal } from "../../src/domain/run.ts";
import { PyocoJetStream } from "../../src/jetstream/index.ts";
import { waitFor } from "../../src/lib/async.ts";
import { silentLogger } from "../../src/lib/log.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { testSettings } from "../helpers/settings.ts";
import { startWorker, type StartedWorker } from "../helpers/worker.ts";

const TAG = "outage";
let nats: NatsServer;
let gw: TestGateway;
let worker: StartedWorker;

beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url);
  worker = await startWorker({ natsUrl: nats.url, tags: [TAG], workerId: "outage-worker" });
});

afterAll(async () => {
  await worker?.stop();
  await gw?.stop();
  await nats?.stop();
});

/**
 * A submit that waits longer than this hung: it is below one NATS request timeout (5 s), so an
 * answer that sat out a request timeout made before the outage shows as a hang.
 */
const HANG_MS = 4_000;

interface Answer { status: number | "error"; runId?: string; detail?: string; at: number; ms?: number }

test("NATS SIGTERM and kill -9 under continuous submits: 200 or 503 only, every accepted run completes, no restarts", async () => {
  const answers: Answer[] = [];
  let submitting = true;
  let seq = 0;
  const client = async () => {
    while (submitting) {
      const at = performance.now();
      try {
        const res = await fetch(`${gw.baseUrl}/runs`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ flow_name: "add", params: { x: seq++ }, tag: TAG }), signal: AbortSignal.timeout(HANG_MS),
        });
        const body = await res.json().catch(() => ({})) as { run_id?: string; detail?: string };
        answers.push({ status: res.status, runId: body.run_id, detail: body.detail, at, ms: performance.now() - at });
      } catch (err) {
        answers.push({ status: "error", detail: String(err), at });
      }
      await Bun.sleep(5);   // pacing only
    }
  };
  const since = (t: number, status: number) => answers.filter((a) => a.at >= t && a.status === status).length;
  const waitAnswers = (t: number, status: number, n: number, what: string) =>
    waitFor(() => since(t, status) >= n, { timeoutMs: 60_000, intervalMs: 20, what });
  const clients = Array.from({ length: 4 }, client);

  try {
    await waitAnswers(0, 200, 20, "20 accepted submits");
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      const down = performance.now();
      await nats.kill(signal);
      await waitAnswers(down, 503, 10, `503s after ${signal}`);
      const up = performance.now();
      await nats.start();
      await waitAnswers(up, 200, 20, `accepted submits after the restart following ${signal}`);
    }
  } finally {
    submitting = false;
    await Promise.all(clients);
  }

  const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 503);
  expect(unexpected.slice(0, 5)).toEqual([]);
  for (const a of answers.filter((a) => a.status === 503)) expect(a.detail).toStartWith("nats unavailable");
  const accepted = answers.filter((a) => a.status === 200).map((a) => a.runId!);
  expect(new Set(accepted).size).toBe(accepted.length);

  const js = await PyocoJetStream.connect(testSettings(nats.url), { name: "fault-check", log: silentLogger });
  try {
    const snaps = await waitFor(async () => {
      const all = await Promise.all(accepted.map((id) => js.runs.get(id)));
      return all.every((s) => s && isTerminal(s.value.status)) ? all.map((s) => s!.value) : null;
    }, { timeoutMs: 120_000, intervalMs: 500, what: `all ${accepted.length} accepted runs terminal` });
    const notCompleted = snaps.filter((s) => s.status !== "COMPLETED").map((s) => [s.run_id, s.status, s.error]);
    expect(notCompleted).toEqual([]);
  } finally {
    await js.close();
  }
  // The same processes recovered: the gateway answers lists again, the worker never exited.
  expect((await fetch(`${gw.baseUrl}/runs?limit=1`)).status).toBe(200);
  expect(await Promise.race([worker.exited.then(() => "exited"), Bun.sleep(0).then(() => "running")])).toBe("running");
  const slowest = Math.max(...answers.map((a) => a.ms ?? 0));
  console.log(`[nats outage] ${answers.length} submits: ${accepted.length} accepted, ${answers.filter((a) => a.status === 503).length} × 503, slowest answer ${Math.round(slowest)} ms`);
}, 240_000);

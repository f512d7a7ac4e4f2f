/**
 * A whole local stack for end-to-end tests: nats-server + gateway (listening) + one worker
 * subprocess running the Pyoco test double with the demo resolver
 * (`tests/fixtures/python/tasks/demo_tasks.py:resolve_flow`).
 *   const stack = await startStack();
 *   const id = await stack.submit("add", { x: 1 });        // POST /runs → run_id
 *   …  await stack.stop();
 */
import type { SettingOverrides } from "../../src/config/index.ts";
import { startNatsServer, type NatsServer } from "./nats-server.ts";
import { startTestGateway, type TestGateway } from "./gateway.ts";
import { startWorker, type StartedWorker } from "./worker.ts";

export interface StackOptions {
  /** Worker tags (default ["default"]). */
  tags?: string[];
  workerId?: string;
  /** Extra env of the worker (PYOCO_* settings, e.g. PYOCO_CANCEL_GRACE_PERIOD_SEC). */
  workerEnv?: Record<string, string>;
  workerArgs?: string[];
  /** Gateway setting overrides. */
  gateway?: SettingOverrides;
  /** Start without a worker (queued-run scenarios); `startWorker()` adds one later. */
  withWorker?: boolean;
}

export interface Stack {
  baseUrl: string;
  natsUrl: string;
  nats: NatsServer;
  gateway: TestGateway;
  /** The worker, when one runs. */
  worker: StartedWorker | null;
  /** POST /runs; returns the run_id. Throws on a non-2xx answer. */
  submit(flowName: string, params?: Record<string, unknown>, tag?: string): Promise<string>;
  /** Start the worker (again) after `withWorker: false` or a stop. */
  startWorker(): Promise<StartedWorker>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const nats = await startNatsServer();
  let gateway: TestGateway | null = null;
  let worker: StartedWorker | null = null;
  const tags = opts.tags ?? ["default"];
  const launchWorker = async () => {
    worker = await startWorker({ natsUrl: nats.url, tags, workerId: opts.workerId ?? "stack-worker", env: opts.workerEnv, args: opts.workerArgs });
    return worker;
  };
  try {
    gateway = await startTestGateway(nats.url, opts.gateway ?? {});
    if (opts.withWorker !== false) await launchWorker();
  } catch (err) {
    await gateway?.stop();
    await nats.stop();
    throw err;
  }
  const gw = gateway;
  return {
    baseUrl: gw.baseUrl,
    natsUrl: nats.url,
    nats,
    gateway: gw,
    get worker() { return worker; },
    async submit(flowName, params = {}, tag = tags[0]) {
      const res = await fetch(`${gw.baseUrl}/runs`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ flow_name: flowName, params, tag }),
      });
      const body = await res.json() as { run_id?: string; detail?: unknown };
      if (!res.ok || !body.run_id) throw new Error(`POST /runs → ${res.status} ${JSON.stringify(body)}`);
      return body.run_id;
    },
    startWorker: launchWorker,
    async stop() {
      await (worker as StartedWorker | null)?.stop();
      await gw.stop();
      await nats.stop();
    },
  };
}

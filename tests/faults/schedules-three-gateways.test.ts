/**
 * Three gateway processes on one NATS all run the schedule dispatcher. Over more than 20 fires
 * of a 1 s interval schedule — while the gateway that fired last is killed with SIGKILL
 * part-way — every slot makes exactly one run: the runs are exactly those of the consecutive
 * slots start, start+1, … (the run id of a fire is derived from its slot), none twice, none
 * missing, and dispatch_count agrees.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { fireRunId } from "../../src/domain/schedule.ts";
import { waitFor } from "../../src/lib/async.ts";
import { startGatewayProcess, type GatewayProcess } from "../helpers/gateway-process.ts";
import { startNatsServer, type NatsServer } from "../helpers/nats-server.ts";
import { isAlive } from "../helpers/processes.ts";

setDefaultTimeout(120_000);
const FLOW_YAML = readFileSync(new URL("../fixtures/flows/add-one-to-text.yaml", import.meta.url), "utf8");
// A generous misfire grace: a slot delayed by a loaded machine still counts as on time.
const ENV = { PYOCO_SCHEDULE_POLL_INTERVAL_SEC: "0.2", PYOCO_SCHEDULE_MISFIRE_GRACE_SEC: "60" };

let nats: NatsServer;
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  gateways = await Promise.all([0, 1, 2].map(() => startGatewayProcess(nats.url, ENV)));
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await nats?.stop();
});

async function api(url: string, method: string, path: string, body?: FormData): Promise<any> {
  const res = await fetch(url + path, { method, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test("every fire makes exactly one run across three gateways, one of them killed mid-way", async () => {
  const start = Math.ceil(Date.now() / 1000) + 2;
  const form = new FormData();
  form.append("workflow", new File([FLOW_YAML], "flow.yaml"));
  form.append("flow_name", "main");
  form.append("tag", "nobody");   // no worker needed: the runs themselves are what is counted
  form.append("interval_seconds", "1");
  form.append("start_at", new Date(start * 1000).toISOString());
  const { schedule_id: id } = await api(gateways[0]!.url, "POST", "/schedules/yaml", form);

  const survivorsOf = (dead: GatewayProcess | null) => gateways.filter((g) => g !== dead);
  const countFrom = async (g: GatewayProcess) => (await api(g.url, "GET", `/schedules/${id}`)).dispatch_count as number;

  await waitFor(async () => (await countFrom(gateways[1]!)) >= 8, { timeoutMs: 40_000, what: "eight fires" });
  // Kill the gateway that fired last: it is a live participant, and may be holding the next lease.
  const last = (await api(gateways[1]!.url, "GET", `/schedules/${id}`)).last_dispatched_by as string;
  const victim = gateways.find((g) => last.startsWith(`gateway-${g.pid}-`));
  if (!victim) throw new Error(`last_dispatched_by ${last} names none of the gateways`);
  await victim.kill9();
  expect(isAlive(victim.pid)).toBe(false);
  const alive = survivorsOf(victim);

  await waitFor(async () => (await countFrom(alive[0]!)) >= 24, { timeoutMs: 60_000, what: "24 fires" });
  await api(alive[0]!.url, "POST", `/schedules/${id}/pause`);
  // A fire in flight at the pause still finishes its outcome write; wait until runs and count agree.
  const settled = await waitFor(async () => {
    const s = await api(alive[1]!.url, "GET", `/schedules/${id}`);
    const runs = await api(alive[1]!.url, "GET", `/runs?schedule_id=${id}&limit=200`) as { run_id: string; schedule_id: string }[];
    return runs.length === s.dispatch_count ? { s, runs } : null;
  }, { timeoutMs: 20_000, what: "runs and dispatch_count to agree" });

  const n = settled.s.dispatch_count as number;
  expect(n).toBeGreaterThanOrEqual(24);
  const expected = await Promise.all(Array.from({ length: n }, (_, k) => fireRunId(id, start + k)));
  const got = settled.runs.map((r) => r.run_id);
  expect(new Set(got).size).toBe(got.length);                 // no run twice
  expect([...got].sort()).toEqual([...expected].sort());       // exactly the slots start … start+n-1: no double, no miss
  expect(settled.runs.every((r) => r.schedule_id === id)).toBe(true);
  expect(settled.s.last_error).toBeNull();
});

/**
 * pyoco on a real 3-node NATS JetStream cluster started through `pyoco nats up --cluster-port
 * --seed` (loopback, user/password auth for clients and routes): replicated resources, node loss
 * by kill -9 while runs are submitted and drained, the gateway's run index across a leader loss,
 * processes started while a seed is down, `leave` and `down`, and refused anonymous clients.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { sleep, waitFor } from "../../src/lib/async.ts";
import { startCluster, type ClusterNode, type TestCluster } from "../helpers/cluster.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { isAlive } from "../helpers/processes.ts";
import { startWorker } from "../helpers/worker.ts";

const CREDS = { PYOCO_NATS_USER: "pyoco-app", PYOCO_NATS_PASSWORD: "s3cret pass" };
const GW_CREDS = { natsUser: CREDS.PYOCO_NATS_USER, natsPassword: CREDS.PYOCO_NATS_PASSWORD };
let cluster: TestCluster;
let gw: TestGateway;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  cluster = await startCluster({ env: CREDS });
  gw = await startTestGateway(cluster.seedUrl, GW_CREDS);
}, 60_000);

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  await gw?.stop();
  await cluster?.stop();
}, 60_000);

async function submit(g: TestGateway, flow: string, tag: string, params: Record<string, unknown> = {}): Promise<string | null> {
  const r = await g.call("POST", "/runs", { json: { flow_name: flow, tag, params } });
  return r.status === 200 || r.status === 201 || r.status === 202 ? (r.json.run_id as string) : null;
}

async function statusJson(env: Record<string, string> = {}, url = cluster.seedUrl): Promise<any> {
  const r = await cluster.pyoco(["nats", "status", "--nats-url", url, "--output", "json"], env);
  if (r.code !== 0) throw new Error(`status failed: ${r.err}`);
  return JSON.parse(r.out);
}

/** Which server each named client connection is on, asked through a node's system account. */
async function connectionServers(via: ClusterNode): Promise<Map<string, string>> {
  const nc = await connect({ servers: via.url.replace("nats://", ""), user: "_pyoco_sys", pass: readFileSync(join(via.dataDir, "system_password"), "utf8").trim() });
  try {
    const out = new Map<string, string>();
    const replies = await nc.requestMany("$SYS.REQ.SERVER.PING.CONNZ", "", { maxWait: 1500 });
    for await (const m of replies) {
      const r = m.json<{ server: { name: string }; data: { connections?: { name?: string }[] } }>();
      for (const c of r.data.connections ?? []) if (c.name) out.set(c.name, r.server.name);
    }
    return out;
  } finally { await nc.close(); }
}

const node = (name: string) => cluster.nodes.find((n) => n.name === name)!;

async function terminalStatus(id: string): Promise<string | null> {
  const r = await gw.call("GET", `/runs/${id}`);
  return r.status === 200 && ["COMPLETED", "FAILED", "CANCELLED"].includes(r.json.status) ? r.json.status : null;
}

async function waitAllCompleted(ids: string[], timeoutMs: number): Promise<void> {
  const pending = new Set(ids);
  await waitFor(async () => {
    for (const id of [...pending]) {
      const s = await terminalStatus(id);
      if (s === "COMPLETED") pending.delete(id);
      else if (s) throw new Error(`run ${id} ended ${s}`);
    }
    return pending.size === 0;
  }, { timeoutMs, intervalMs: 250, what: `${pending.size} runs to complete` });
}

/** Every stream has a leader and every follower is current with no lag. */
async function caughtUp(): Promise<boolean> {
  const s = await statusJson();
  return s.stream_details.length > 0 && s.stream_details.every((d: any) => d.leader && d.followers.length === d.replicas - 1 &&
    d.followers.every((f: any) => f.current && !f.offline && f.lag === 0));
}

describe("a 3-node cluster started by pyoco nats up", () => {
  test("resources are created with 3 replicas; status and doctor see three servers", async () => {
    const s = await statusJson();
    expect(s.server.cluster).toBe("pyoco");
    expect(s.servers).toEqual(["n1", "n2", "n3"]);
    expect(s.stream_details.map((d: any) => d.name)).toContain("KV_pyoco_runs");
    for (const d of s.stream_details) expect({ name: d.name, replicas: d.replicas }).toEqual({ name: d.name, replicas: 3 });
    const doctor = await cluster.pyoco(["nats", "--nats-url", cluster.seedUrl, "doctor"]);
    expect(doctor.code).toBe(0);
    expect(doctor.out).toContain("ok   KV_pyoco_runs (replicas 3, leader n");
    const table = await cluster.pyoco(["nats", "status", "--nats-url", cluster.seedUrl]);
    expect(table.out).toContain("cluster 'pyoco': 3 server(s): n1, n2, n3");
    expect(table.out).toMatch(/KV_pyoco_runs\s+kv\s+3\s+n\d/);
  });

  test("doctor reports a stream below the replica setting and --fix-replicas raises it; nothing changes silently", async () => {
    await gw.js.setStreamReplicas("KV_pyoco_run_relations", 1);
    // A gateway start (ensureResources) leaves the existing R1 stream alone.
    const other = await startTestGateway(cluster.seedUrl, GW_CREDS);
    await other.stop();
    const low = await cluster.pyoco(["nats", "doctor", "--nats-url", cluster.seedUrl]);
    expect(low.code).toBe(1);
    expect(low.out).toContain("LOW  KV_pyoco_run_relations: replicas 1 < 3");
    expect(low.err).toContain("--fix-replicas");
    const fixed = await cluster.pyoco(["nats", "doctor", "--fix-replicas", "--nats-url", cluster.seedUrl]);
    expect(fixed.out).toContain("fix  KV_pyoco_run_relations: replicas 1 -> 3");
    expect(fixed.code).toBe(0);
    const s = await statusJson();
    expect(s.stream_details.find((d: any) => d.name === "KV_pyoco_run_relations").replicas).toBe(3);
  });

  test("a client without credentials is refused", async () => {
    const r = await cluster.pyoco(["nats", "status", "--nats-url", cluster.seedUrl], { PYOCO_NATS_USER: "", PYOCO_NATS_PASSWORD: "" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("authorization failed");
    expect(r.err).toContain("PYOCO_NATS_USER");
    const wrong = await cluster.pyoco(["nats", "status", "--nats-url", cluster.seedUrl], { PYOCO_NATS_PASSWORD: "wrong" });
    expect(wrong.code).toBe(1);
  });

  test("kill -9 of the nodes the gateway and the worker use: no accepted run lost or stuck, submits recover, the node catches up", async () => {
    const worker = await startWorker({ natsUrl: cluster.seedUrl, tags: ["kill"], workerId: "w-kill", env: CREDS, args: ["--concurrency", "2"] });
    cleanup.push(() => worker.stop());
    const accepted: { id: string; at: number }[] = [];
    let submitting = true;
    const submitter = (async () => {
      let i = 0;
      while (submitting) {
        const id = await submit(gw, "add", "kill", { x: i++ }).catch(() => null);
        if (id) accepted.push({ id, at: Date.now() });
        await sleep(40);
      }
    })();
    try {
      await waitFor(() => accepted.length >= 10, { timeoutMs: 20_000, what: "first submits" });
      const where = await connectionServers(cluster.nodes[0]!);
      const victims = [...new Set([where.get("pyoco-http-api"), where.get("pyoco-worker:w-kill")])].filter(Boolean) as string[];
      expect(victims.length).toBeGreaterThan(0);
      for (const name of victims) {
        const victim = node(name);
        const killedAt = Date.now();
        await victim.kill9();
        try {
          // Submits succeed again once the streams it led have elected new leaders (nats-server: 4–9 s).
          const firstAfter = await waitFor(() => accepted.find((a) => a.at > killedAt + 200), { timeoutMs: 30_000, what: "a submit after the kill" });
          console.log(`[cluster] kill -9 ${name}: first submit accepted again after ${firstAfter.at - killedAt} ms`);
          expect(firstAfter.at - killedAt).toBeLessThan(15_000);
          await sleep(2000);
        } finally {
          await victim.start();
        }
      }
      await sleep(1000);
    } finally {
      submitting = false;
      await submitter;
    }
    // Every accepted run completes: none lost, none stuck.
    await waitAllCompleted(accepted.map((a) => a.id), 90_000);
    expect(accepted.length).toBeGreaterThan(30);
    // The restarted nodes are current again.
    await waitFor(caughtUp, { timeoutMs: 60_000, intervalMs: 1000, what: "every replica current with lag 0" });
    await worker.stop();
  }, 240_000);

  test("after the runs bucket's leader dies, the run index is complete within 30 s and a new gateway lists the same runs", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await submit(gw, "add", "idle-index"))!);
    expect(ids.every(Boolean)).toBe(true);
    await waitFor(() => gw.deps.index.list({ tag: "idle-index", limit: 1000 }).items.length === ids.length, { timeoutMs: 10_000, what: "index" });
    const leaderName = (await statusJson()).stream_details.find((d: any) => d.name === "KV_pyoco_runs").leader as string;
    const leader = node(leaderName);
    const killedAt = Date.now();
    await leader.kill9();
    try {
      // A second gateway started during the outage (before the new leader is elected).
      const gw2Starting = startTestGateway(cluster.seedUrl, GW_CREDS);
      // More runs accepted during the outage.
      for (let i = 0; i < 20; i++) {
        ids.push(await waitFor(() => submit(gw, "add", "idle-index").catch(() => null), { timeoutMs: 30_000, what: "a submit during the outage" }));
      }
      const listed = (g: TestGateway) => new Set(g.deps.index.list({ tag: "idle-index", limit: 1000 }).items.map((r) => r.run_id as string));
      await waitFor(() => ids.every((id) => listed(gw).has(id)), { timeoutMs: Math.max(1000, 30_000 - (Date.now() - killedAt)), intervalMs: 100, what: "every run in the index" });
      console.log(`[cluster] runs leader ${leaderName} killed: index complete (${ids.length} runs) after ${Date.now() - killedAt} ms`);
      const gw2 = await gw2Starting;
      try {
        await waitFor(() => ids.every((id) => listed(gw2).has(id)), { timeoutMs: 30_000, intervalMs: 100, what: "every run in the second gateway's index" });
        expect([...listed(gw2)].sort()).toEqual([...ids].sort());
      } finally { await gw2.stop(); }
    } finally {
      await leader.start();
    }
    // The next test kills another node: with this one still catching up, R3 streams would have
    // no quorum. A real operator waits for `pyoco nats status` to show every replica current too.
    await waitFor(caughtUp, { timeoutMs: 60_000, intervalMs: 1000, what: "every replica current after the leader returned" });
  }, 120_000);

  test("a worker and a gateway given the seed list start while the first seed is down", async () => {
    const down = cluster.nodes[0]!;
    await down.kill9();
    try {
      const seeds = cluster.seedUrl;   // n1 (down) first
      const gw3 = await startTestGateway(seeds, GW_CREDS);
      cleanup.push(() => gw3.stop());
      const worker = await startWorker({ natsUrl: seeds, tags: ["seed-down"], workerId: "w-seed", env: CREDS });
      cleanup.push(() => worker.stop());
      const id = (await submit(gw3, "add", "seed-down", { x: 1 }))!;
      await waitFor(async () => (await gw3.call("GET", `/runs/${id}`)).json.status === "COMPLETED", { timeoutMs: 30_000, what: "the run" });
      await worker.stop();
      await gw3.stop();
    } finally {
      await down.start();
    }
    await waitFor(caughtUp, { timeoutMs: 60_000, intervalMs: 1000, what: "n1 caught up" });
  }, 120_000);

  test("leave takes a node out and leaves a healthy 2-node cluster; down stops a node", async () => {
    const leaving = cluster.nodes[2]!;
    const r = await cluster.pyoco(["nats", "leave", "--data-dir", leaving.dataDir, "--confirm", "--timeout-sec", "5"]);
    expect(r.err + r.out).toContain("left the cluster");
    expect(r.code).toBe(0);
    expect(await leaving.exited).toBe(0);
    expect(leaving.log()).toContain("left the cluster");
    const remaining = cluster.nodes.slice(0, 2).map((n) => n.url).join(",");
    // Every stream keeps a leader on the two remaining servers and pyoco keeps working.
    await waitFor(async () => {
      const s = await statusJson({}, remaining);
      return s.stream_details.every((d: any) => d.leader && d.leader !== leaving.name);
    }, { timeoutMs: 30_000, intervalMs: 500, what: "leaders on the remaining servers" });
    expect((await statusJson({}, remaining)).servers).toEqual(["n1", "n2"]);
    const gw4 = await startTestGateway(remaining, GW_CREDS);
    cleanup.push(() => gw4.stop());
    const worker = await startWorker({ natsUrl: remaining, tags: ["after-leave"], workerId: "w-after", env: CREDS });
    cleanup.push(() => worker.stop());
    const id = (await submit(gw4, "add", "after-leave", { x: 2 }))!;
    await waitFor(async () => (await gw4.call("GET", `/runs/${id}`)).json.status === "COMPLETED", { timeoutMs: 30_000, what: "a run after the leave" });
    await worker.stop();
    await gw4.stop();

    // down: refused without --confirm, then stops the node.
    const target = cluster.nodes[1]!;
    const pid = target.serverPid;
    const refused = await cluster.pyoco(["nats", "down", "--data-dir", target.dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("--confirm");
    const stopped = await cluster.pyoco(["nats", "down", "--data-dir", target.dataDir, "--confirm"]);
    expect(stopped.code).toBe(0);
    expect(await target.exited).toBe(0);
    expect(isAlive(pid)).toBe(false);
  }, 120_000);
});

/**
 * The README's recipe as written: three `pyoco up --with-nats-bootstrap --nats-cluster-port …
 * --nats-join …` processes (gateway + supervised nats-server each). The gateways wait for the
 * cluster's JetStream, create R3 resources once, and a run submitted on one is seen on another.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { pyocoEnv, runPyoco } from "../helpers/cluster.ts";
import { freePort } from "../helpers/ports.ts";
import { REPO_ROOT } from "../helpers/worker.ts";

const dir = mkdtempSync(join(tmpdir(), "pyoco-cluster-up-"));
const procs: { proc: ReturnType<typeof Bun.spawn>; err: () => string }[] = [];
afterAll(async () => {
  for (const p of procs) p.proc.kill("SIGTERM");
  for (const p of procs) await p.proc.exited;
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test("three `pyoco up --with-nats-bootstrap` nodes form one cluster with R3 resources", async () => {
  const nodes = ["a", "b", "c"].map((name) => ({ name, http: freePort(), client: freePort(), route: freePort() }));
  const join_ = nodes.map((n) => `nats-route://127.0.0.1:${n.route}`).join(",");
  for (const n of nodes) {
    const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "up", "--with-nats-bootstrap", "--port", String(n.http),
      "--nats-client-port", String(n.client), "--nats-http-port", "0", "--nats-cluster-port", String(n.route), "--nats-join", join_,
      "--nats-server-name", n.name, "--data-dir", join(dir, n.name)], { cwd: dir, env: pyocoEnv({ PYOCO_LOG_LEVEL: "WARNING" }), stdout: "ignore", stderr: "pipe" });
    let err = "";
    void (async () => { for await (const c of proc.stderr as ReadableStream<Uint8Array>) err += new TextDecoder().decode(c); })();
    procs.push({ proc, err: () => err });
  }
  // A node that exits or never listens fails the test with every node's stderr, so a CI failure says why.
  const stderrOfAll = () => procs.map((p, i) => `--- node ${nodes[i]!.name} (exit ${p.proc.exitCode ?? "running"}):\n${p.err().slice(-3000)}`).join("\n");
  await waitFor(() => procs.some((p) => p.proc.exitCode !== null) || procs.every((p) => p.err().includes("gateway listening")),
    { timeoutMs: 90_000, intervalMs: 200, what: "three gateways" }).catch((err: Error) => { throw new Error(`${err.message}\n${stderrOfAll()}`); });
  if (procs.some((p) => p.proc.exitCode !== null)) throw new Error(`a node exited during start-up\n${stderrOfAll()}`);
  const post = await fetch(`http://127.0.0.1:${nodes[0]!.http}/runs`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"flow_name":"main","tag":"x"}' });
  expect(post.status).toBe(200);
  const { run_id } = await post.json() as { run_id: string };
  const seen = await waitFor(async () => {
    const r = await fetch(`http://127.0.0.1:${nodes[2]!.http}/runs/${run_id}`);
    return r.status === 200 ? r.json() as Promise<{ status: string }> : null;
  }, { timeoutMs: 15_000, what: "the run on gateway c" });
  expect(seen.status).toBe("PENDING");
  const st = await runPyoco(["nats", "status", "--output", "json", "--nats-url", nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(",")], pyocoEnv());
  const s = JSON.parse(st.out);
  expect(s.servers).toEqual(["a", "b", "c"]);
  for (const d of s.stream_details) expect({ name: d.name, replicas: d.replicas }).toEqual({ name: d.name, replicas: 3 });
  for (const p of procs) p.proc.kill("SIGTERM");
  expect(await Promise.all(procs.map((p) => p.proc.exited))).toEqual([0, 0, 0]);
}, 150_000);

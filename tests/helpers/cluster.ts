/**
 * A real 3-node NATS JetStream cluster on loopback, started through pyoco's own command
 * (`pyoco nats up --cluster-port … --seed …`, one subprocess per node, each supervising its
 * nats-server). Every node is given the same seed list (all three route ports).
 *   const cluster = await startCluster({ env: { PYOCO_NATS_USER: "u", PYOCO_NATS_PASSWORD: "p" } });
 *   cluster.seedUrl                      // nats://127.0.0.1:a,nats://127.0.0.1:b,nats://127.0.0.1:c
 *   await cluster.nodes[1].kill9();      // machine loss: the pyoco process and its nats-server
 *   await cluster.nodes[1].start();      // same ports, same store
 *   await cluster.stop();
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { portAccepts } from "../../src/nats-ops/index.ts";
import { freePort } from "./ports.ts";
import { isAlive } from "./processes.ts";
import { REPO_ROOT } from "./worker.ts";

export interface ClusterNode {
  name: string;
  url: string;
  clientPort: number;
  clusterPort: number;
  dataDir: string;
  /** pid of nats-server right now (-1 while down). */
  readonly serverPid: number;
  readonly running: boolean;
  /** stderr of the pyoco process so far. */
  log(): string;
  /** Start `pyoco nats up` for this node (again) and wait until its client port accepts. */
  start(): Promise<void>;
  /** SIGKILL the pyoco process and its nats-server: the machine is gone. */
  kill9(): Promise<void>;
  /** SIGTERM the pyoco process (it stops its nats-server) and wait. */
  stop(): Promise<void>;
  /** Resolves with the exit code of the current pyoco process. */
  readonly exited: Promise<number>;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** Every node's client URL, comma-separated. */
  seedUrl: string;
  env: Record<string, string>;
  /** `pyoco …` as a subprocess with the cluster's env; resolves with exit code and output. */
  pyoco(args: string[], extraEnv?: Record<string, string>): Promise<{ code: number; out: string; err: string }>;
  stop(): Promise<void>;
}

export function pyocoEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PYOCO_")) env[k] = v;
  return { ...env, PYOCO_LOAD_DOTENV: "0", ...extra };
}

export async function runPyoco(args: string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<{ code: number; out: string; err: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), ...args], { cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out, err };
}

export async function startCluster(opts: { env?: Record<string, string>; size?: number } = {}): Promise<TestCluster> {
  const size = opts.size ?? 3;
  const root = mkdtempSync(join(tmpdir(), "pyoco-cluster-"));
  const env = pyocoEnv(opts.env);
  const ports = Array.from({ length: size }, () => ({ client: freePort(), cluster: freePort() }));
  const seeds = ports.map((p) => `nats-route://127.0.0.1:${p.cluster}`).join(",");
  const nodes = ports.map((p, i) => makeNode(`n${i + 1}`, p.client, p.cluster, join(root, `n${i + 1}`), seeds, env));
  try {
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill9()));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    seedUrl: nodes.map((n) => n.url).join(","),
    env,
    pyoco: (args, extraEnv = {}) => runPyoco(args, { ...env, ...extraEnv }),
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function makeNode(name: string, clientPort: number, clusterPort: number, dataDir: string, seeds: string, env: Record<string, string>): ClusterNode {
  let proc: ReturnType<typeof Bun.spawn> | null = null;
  let stderr = "";
  let exited: Promise<number> = Promise.resolve(0);
  let serverPid = -1;
  const node: ClusterNode = {
    name, clientPort, clusterPort, dataDir, url: `nats://127.0.0.1:${clientPort}`,
    get serverPid() { return serverPid; },
    get running() { return proc !== null; },
    get exited() { return exited; },
    log: () => stderr,
    async start() {
      stderr = "";
      const p = Bun.spawn([process.execPath, join(REPO_ROOT, "src/main.ts"), "nats", "up", "--host", "127.0.0.1", "--port", String(clientPort), "--http-port", "0",
        "--cluster-port", String(clusterPort), "--seed", seeds, "--data-dir", dataDir, "--server-name", name],
      { cwd: REPO_ROOT, env, stdout: "ignore", stderr: "pipe", stdin: "ignore" });
      proc = p;
      const reading = (async () => {
        const dec = new TextDecoder();
        for await (const chunk of p.stderr as ReadableStream<Uint8Array>) {
          stderr += dec.decode(chunk, { stream: true });
          const m = /nats-server (?:restarted )?\(pid (\d+)\)/g;
          let hit: RegExpExecArray | null;
          while ((hit = m.exec(stderr))) serverPid = Number(hit[1]);
        }
      })();
      exited = p.exited.then(async (code) => { await reading; if (proc === p) proc = null; return code; });
      await waitFor(async () => {
        if (proc !== p) throw new Error(`pyoco nats up for ${name} exited:\n${stderr}`);
        return serverPid > 0 && (await portAccepts("127.0.0.1", clientPort));
      }, { timeoutMs: 20_000, intervalMs: 50, what: `node ${name}` });
    },
    async kill9() {
      const p = proc;
      if (!p) return;
      p.kill("SIGKILL");
      if (serverPid > 0 && isAlive(serverPid)) process.kill(serverPid, "SIGKILL");
      await exited;
      await waitFor(() => serverPid <= 0 || !isAlive(serverPid), { timeoutMs: 5000, what: "nats-server gone" });
      serverPid = -1;
      proc = null;
    },
    async stop() {
      const p = proc;
      if (!p) return;
      p.kill("SIGTERM");
      const timer = setTimeout(() => { p.kill("SIGKILL"); if (serverPid > 0 && isAlive(serverPid)) process.kill(serverPid, "SIGKILL"); }, 15_000);
      try { await exited; } finally { clearTimeout(timer); }
      serverPid = -1;
    },
  };
  return node;
}

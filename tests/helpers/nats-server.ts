/**
 * A real `nats-server -js` for one test file: 127.0.0.1, a free port chosen by the server
 * (ports file), its own temp store. `restart()` keeps the port and the store (NATS-down tests).
 * `stop()` kills it and removes its files. Usage:
 *   const nats = await startNatsServer();  …  await nats.stop();
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../src/lib/async.ts";
import { portAccepts } from "../../src/nats-ops/index.ts";

export interface NatsServer {
  url: string;
  port: number;
  storeDir: string;
  pid: number;
  /** Stop the server process but keep its store (simulates an outage). Default SIGKILL; SIGTERM = its graceful shutdown. */
  kill(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  /** Start again on the same port with the same store. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function natsServerBinary(): string {
  return process.env.NATS_SERVER_PATH || Bun.which("nats-server") || Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/bin" }) || "nats-server";
}


export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), "pyoco-nats-"));
  const storeDir = join(dir, "js");
  const portsDir = join(dir, "ports");
  let port = -1;
  let proc: ReturnType<typeof Bun.spawn> | null = null;

  const launch = async () => {
    rmSync(portsDir, { recursive: true, force: true });
    const conf = join(dir, "server.conf");
    writeFileSync(conf, [
      `host: 127.0.0.1`, `port: ${port}`, `ports_file_dir: "${portsDir}"`,
      `jetstream { store_dir: "${storeDir}" }`,
    ].join("\n") + "\n");
    mkdirSync(portsDir, { recursive: true });
    proc = Bun.spawn([natsServerBinary(), "-c", conf], { stdout: "ignore", stderr: "pipe" });
    const p = proc;
    // Keep reading its log: an unread pipe fills up (64 KiB) and then the server blocks on its
    // next log line, stalling every client (seen under load with many consumers).
    void (async () => { for await (const _ of p.stderr as ReadableStream<Uint8Array>) { /* discard */ } })().catch(() => undefined);
    const early = p.exited.then((code) => { throw new Error(`nats-server exited early with code ${code}`); });
    const found = waitFor(() => {
      const file = readdirSync(portsDir).find((f) => f.endsWith(".ports"));
      if (!file) return null;
      const ports = JSON.parse(readFileSync(join(portsDir, file), "utf8")) as { nats: string[] };
      return Number(new URL(ports.nats[0]!).port);
    }, { timeoutMs: 10_000, what: "nats-server ports file" });
    port = await Promise.race([found, early]);
    await waitFor(() => portAccepts("127.0.0.1", port), { timeoutMs: 5_000, what: "nats-server accepting connections" });
  };

  const killProc = async (signal: "SIGKILL" | "SIGTERM" = "SIGKILL") => {
    if (!proc) return;
    const p = proc;
    proc = null;
    p.kill(signal);
    const timer = signal === "SIGTERM" ? setTimeout(() => p.kill("SIGKILL"), 15_000) : undefined;
    await p.exited;
    clearTimeout(timer);
  };

  await launch();
  const server: NatsServer = {
    get url() { return `nats://127.0.0.1:${port}`; },
    get port() { return port; },
    storeDir,
    get pid() { return proc?.pid ?? -1; },
    kill: killProc,
    start: launch,
    async stop() { await killProc("SIGKILL"); rmSync(dir, { recursive: true, force: true }); },
  };
  return server;
}

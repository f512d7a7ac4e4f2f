/**
 * `pyoco up`: the HTTP gateway in the foreground (http-contract.md §5.1, adapted), optionally with
 * a local nats-server (`--with-nats-bootstrap`) and a managed worker (`--with-worker`, this same
 * program started again as `worker`). Start order: NATS → gateway → worker. On the first
 * SIGINT/SIGTERM the shutdown runs in the reverse order — worker (SIGTERM, wait), gateway, NATS;
 * a second signal kills the worker at once. Where things listen is printed to stderr.
 */
import { effectiveEnv, loadSettings } from "../config/index.ts";
import { NatsUnavailableError, PyocoError } from "../domain/errors.ts";
import { startGateway, type RunningGateway } from "../gateway/index.ts";
import { whenAborted } from "../lib/async.ts";
import { createLogger } from "../lib/log.ts";
import { spawnSupervised, type SupervisedProcess } from "../lib/proc.ts";
import { redactNatsUrl } from "../jetstream/index.ts";
import { nodeOptions, parseSeeds, startNode } from "./nats-node.ts";
import { numberFlag, parseFlags, type CommandHelp, type FlagTable } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure, CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";

const FLAGS = {
  host: { type: "string", default: "127.0.0.1", value: "HOST", description: "gateway listen host" },
  port: { type: "string", default: "8000", value: "PORT", description: "gateway listen port (0 = any free port)" },
  "nats-url": { type: "string", value: "URL", description: "NATS server (default: PYOCO_NATS_URL, else nats://127.0.0.1:4222)" },
  "dashboard-lang": { type: "string", choices: ["auto", "ja", "en"], value: "LANG", description: "dashboard language (default: PYOCO_DASHBOARD_LANG)" },
  "log-level": { type: "string", choices: ["debug", "info", "warning", "error"], value: "LEVEL", description: "log level (default: PYOCO_LOG_LEVEL, else info)" },
  "with-nats-bootstrap": { type: "boolean", description: "start a local nats-server with JetStream and use it" },
  "nats-server-path": { type: "string", value: "PATH", description: "nats-server binary (default: NATS_SERVER_PATH, else PATH, /usr/sbin)" },
  "data-dir": { type: "string", default: ".pyoco/nats", value: "DIR", description: "JetStream store of the local nats-server" },
  "nats-listen-host": { type: "string", value: "HOST", description: "listen host of the local nats-server (default: --host)" },
  "nats-client-port": { type: "string", default: "4222", value: "PORT", description: "client port of the local nats-server" },
  "nats-http-port": { type: "string", default: "8222", value: "PORT", description: "monitoring port of the local nats-server (0 = off)" },
  "nats-cluster-port": { type: "string", value: "PORT", description: "route port of the local nats-server: form or join a cluster (6222 by convention)" },
  "nats-cluster-name": { type: "string", default: "pyoco", value: "NAME", description: "cluster name (the same on every node)" },
  "nats-join": { type: "string", multiple: true, value: "URL", description: "seed route(s) to join, repeatable or comma-separated: nats-route://HOST:6222" },
  "nats-server-name": { type: "string", value: "NAME", description: "unique node name (default: stored in --data-dir, else HOSTNAME-PORT)" },
  "nats-tls-cert": { type: "string", value: "FILE", description: "TLS certificate of the local nats-server's client port" },
  "nats-tls-key": { type: "string", value: "FILE", description: "TLS key of the local nats-server's client port" },
  "with-worker": { type: "boolean", description: "also start one managed worker (`pyoco worker`)" },
  "worker-id": { type: "string", default: "worker", value: "ID", description: "managed worker: --worker-id" },
  "worker-tags": { type: "string", default: "default", value: "CSV", description: "managed worker: --tags" },
  "worker-flow-resolver": { type: "string", value: "SPEC", description: "managed worker: --flow-resolver (module:attr or file.py:attr)" },
  "worker-poll-timeout": { type: "string", value: "SEC", description: "managed worker: --poll-timeout (seconds one pull waits)" },
  "worker-arg": { type: "string", multiple: true, value: "ARG", description: "extra argument for the managed worker, repeatable (e.g. --worker-arg=--concurrency=2)" },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco up",
  summary: "run the HTTP gateway (optionally with a local NATS server and a managed worker)",
  notes: ["Ctrl-C (SIGINT) or SIGTERM stops the worker, then the gateway, then NATS; a second signal kills the worker at once.",
    "The local nats-server is restarted if it dies. The gateway waits for NATS (PYOCO_NATS_CONNECT_WAIT_SEC, default forever)."],
  examples: [
    "pyoco up --with-nats-bootstrap --with-worker --worker-flow-resolver flows.py:resolve",
    "pyoco up --with-nats-bootstrap --host 0.0.0.0 --nats-cluster-port 6222 --nats-join nats-route://10.0.0.1:6222",
    "pyoco up --host 0.0.0.0 --port 8000 --nats-url nats://10.0.0.5:4222",
  ],
};

/** How long the managed worker may take to finish its runs after SIGTERM (its own drain default is 30 s). */
const WORKER_STOP_GRACE_MS = 40_000;

function port(value: string, name: string, min: number): number {
  return numberFlag(value, name, HELP, FLAGS, { integer: true, min, max: 65535 })!;
}

function forward(write: (t: string) => void): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  return (chunk) => write(decoder.decode(chunk, { stream: true }));
}

interface UpOptions {
  host: string; port: number; natsUrl?: string; dashboardLang?: "auto" | "ja" | "en"; logLevel?: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  bootstrap: boolean; natsServerPath?: string; dataDir: string; natsHost: string; natsPort: number; natsHttpPort: number;
  natsClusterPort?: number; natsClusterName: string; natsJoin: string[]; natsServerName?: string; natsTlsCert?: string; natsTlsKey?: string;
  worker: boolean; workerId: string; workerTags: string; workerResolver?: string; workerPollTimeout?: number; workerArgs: string[];
}

/** The options, or the help text when --help was given. */
function parseUp(argv: string[]): UpOptions | string {
  const p = parseFlags(argv, FLAGS, HELP);
  if (p.help) return p.text;
  const f = p.flags;
  const natsHost = f["nats-listen-host"] ?? f.host;
  const natsPort = port(f["nats-client-port"], "nats-client-port", 1);
  const managedUrl = f["with-nats-bootstrap"] ? `nats://${natsHost === "0.0.0.0" ? "127.0.0.1" : natsHost}:${natsPort}` : undefined;
  if (managedUrl && f["nats-url"] && f["nats-url"] !== managedUrl) {
    throw new CliUsageError(`--nats-url ${f["nats-url"]} differs from the managed NATS URL ${managedUrl}`, `usage: ${HELP.program} [options]`, HELP.program,
      "drop --nats-url when using --with-nats-bootstrap (or make it equal)");
  }
  return {
    host: f.host, port: port(f.port, "port", 0), natsUrl: managedUrl ?? f["nats-url"], dashboardLang: f["dashboard-lang"] as "auto" | "ja" | "en" | undefined,
    logLevel: f["log-level"]?.toUpperCase() as "DEBUG" | "INFO" | "WARNING" | "ERROR" | undefined,
    bootstrap: f["with-nats-bootstrap"], natsServerPath: f["nats-server-path"], dataDir: f["data-dir"], natsHost, natsPort,
    natsHttpPort: port(f["nats-http-port"], "nats-http-port", 0),
    natsClusterPort: f["nats-cluster-port"] !== undefined ? port(f["nats-cluster-port"], "nats-cluster-port", 1) : f["nats-join"].length ? 6222 : undefined,
    natsClusterName: f["nats-cluster-name"], natsJoin: parseSeeds(f["nats-join"], HELP.program, `usage: ${HELP.program} [options]`),
    natsServerName: f["nats-server-name"], natsTlsCert: f["nats-tls-cert"], natsTlsKey: f["nats-tls-key"],
    worker: f["with-worker"], workerId: f["worker-id"], workerTags: f["worker-tags"], workerResolver: f["worker-flow-resolver"], workerArgs: f["worker-arg"],
    workerPollTimeout: numberFlag(f["worker-poll-timeout"], "worker-poll-timeout", HELP, FLAGS, { min: 0, max: 3600 }),
  };
}

function startWorker(io: CliIo, f: UpOptions, natsUrl: string): SupervisedProcess {
  const cmd = [io.self.execPath, ...io.self.prefixArgs, "worker", "--worker-id", f.workerId, "--tags", f.workerTags, "--nats-url", natsUrl,
    ...(f.workerResolver ? ["--flow-resolver", f.workerResolver] : []),
    ...(f.workerPollTimeout !== undefined ? ["--poll-timeout", String(f.workerPollTimeout)] : []), ...f.workerArgs];
  try {
    const proc = spawnSupervised({ cmd, cwd: io.cwd, env: { ...io.env }, onStdout: forward(io.stdout), onStderr: forward(io.stderr) });
    io.stderr(`pyoco: managed worker (pid ${proc.pid}) started: --worker-id ${f.workerId} --tags ${f.workerTags}\n`);
    return proc;
  } catch (err) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: cannot start the managed worker", (err as Error).message, `check that ${io.self.execPath} can be executed`);
  }
}

async function startGatewayOrExplain(io: CliIo, f: UpOptions): Promise<RunningGateway | null> {
  const env = effectiveEnv(io.env, io.cwd);
  const settings = loadSettings(env, { natsUrl: f.natsUrl, dashboardLang: f.dashboardLang, logLevel: f.logLevel });
  const log = createLogger({
    service: "pyoco-server:http", level: settings.logLevel, format: settings.logFormat, utc: settings.logUtc,
    includeTraceback: settings.logIncludeTraceback, write: (line) => io.stdout(line + "\n"),
  });
  try {
    return await startGateway({ settings, log, host: f.host, port: f.port, env, signal: io.signal });
  } catch (err) {
    if (io.signal.aborted) return null;   // Ctrl-C while waiting for NATS
    if (err instanceof NatsUnavailableError) {
      throw new CliFailure("ERR-PYOCO-0003", "ERR-PYOCO-0003: NATS unavailable", `cannot use NATS at ${redactNatsUrl(settings.natsUrl)} (${err.reason})`,
        err.hint ?? "start NATS (pyoco up --with-nats-bootstrap, or pyoco nats up) or pass --nats-url (PYOCO_NATS_CONNECT_WAIT_SEC=-1 waits for it)");
    }
    if (err instanceof PyocoError && err.code === "ERR-PYOCO-0018" && err.hint) {
      throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: cannot start the gateway", err.message, err.hint);
    }
    throw err;
  }
}

const command: Command = {
  name: "up",
  summary: HELP.summary,
  style: "argparse",
  async run(argv, io) {
    const f = parseUp(argv);
    if (typeof f === "string") { io.stdout(f); return 0; }

    const nats = f.bootstrap ? await startNode(io, nodeOptions({
      host: f.natsHost, port: f.natsPort, httpPort: f.natsHttpPort, dataDir: f.dataDir, binary: f.natsServerPath, serverName: f.natsServerName,
      clusterPort: f.natsClusterPort, clusterName: f.natsClusterName, join: f.natsJoin, tlsCert: f.natsTlsCert, tlsKey: f.natsTlsKey,
    }, loadSettings(effectiveEnv(io.env, io.cwd)), io)) : null;
    let gateway: RunningGateway | null;
    try {
      gateway = await startGatewayOrExplain(io, f);
    } catch (err) {
      await nats?.stop();
      throw err;
    }
    if (!gateway) { await nats?.stop(); io.stderr("pyoco: stopped before NATS was reachable\n"); return 0; }
    const natsUrl = gateway.deps.settings.natsUrl;
    io.stderr(`pyoco: gateway listening on ${gateway.url} (dashboard ${gateway.url}/, NATS ${natsUrl})\n`);
    let worker: SupervisedProcess | null = null;
    try {
      worker = f.worker ? startWorker(io, f, natsUrl) : null;
    } catch (err) {
      await gateway.stop();
      await nats?.stop();
      throw err;
    }
    let stopping = false;
    void worker?.exited.then((info) => {
      if (!stopping) io.stderr(`pyoco: managed worker exited unexpectedly (code ${info.exitCode ?? info.signal}); the gateway keeps running\n`);
    });

    // The local nats-server is restarted by its supervisor when it dies; only `leave` ends it.
    const natsLeft = nats ? nats.done.then((how) => how === "left") : new Promise<boolean>(() => {});
    const left = await Promise.race([whenAborted(io.signal).then(() => false), natsLeft]);
    stopping = true;
    if (left) io.stderr("pyoco: the local nats-server left the cluster (pyoco nats leave); stopping\n");
    io.stderr("pyoco: stopping (worker, gateway, NATS)\n");

    if (worker) {
      const kill = () => worker!.signalGroup("SIGKILL");
      io.force.addEventListener("abort", kill, { once: true });
      await worker.stop({ graceMs: WORKER_STOP_GRACE_MS });
      io.force.removeEventListener("abort", kill);
    }
    await gateway.stop();
    if (nats) await nats.stop();
    io.stderr("pyoco: stopped\n");
    return 0;
  },
};
export default command;

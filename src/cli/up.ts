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
import { NatsServerError, startLocalNatsServer, type LocalNatsServer } from "../nats-ops/index.ts";
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
  "nats-listen-host": { type: "string", default: "127.0.0.1", value: "HOST", description: "listen host of the local nats-server" },
  "nats-client-port": { type: "string", default: "4222", value: "PORT", description: "client port of the local nats-server" },
  "nats-http-port": { type: "string", default: "8222", value: "PORT", description: "monitoring port of the local nats-server (0 = off)" },
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
  notes: ["Ctrl-C (SIGINT) or SIGTERM stops the worker, then the gateway, then NATS; a second signal kills the worker at once."],
  examples: [
    "pyoco up --with-nats-bootstrap --with-worker --worker-flow-resolver flows.py:resolve",
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

async function startNats(io: CliIo, f: UpOptions): Promise<LocalNatsServer> {
  try {
    const nats = await startLocalNatsServer({
      host: f.natsHost, port: f.natsPort, httpPort: f.natsHttpPort, dataDir: f.dataDir,
      binary: f.natsServerPath ?? io.env.NATS_SERVER_PATH, cwd: io.cwd, env: { ...io.env },
    });
    io.stderr(`pyoco: nats-server (pid ${nats.pid}) listening on ${nats.url}${nats.monitorUrl ? `, monitor ${nats.monitorUrl}` : ""}, store ${nats.storeDir}\n`);
    return nats;
  } catch (err) {
    if (err instanceof NatsServerError) throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: cannot start the local NATS server", err.message, err.hint ?? "");
    throw err;
  }
}

interface UpOptions {
  host: string; port: number; natsUrl?: string; dashboardLang?: "auto" | "ja" | "en"; logLevel?: "DEBUG" | "INFO" | "WARNING" | "ERROR";
  bootstrap: boolean; natsServerPath?: string; dataDir: string; natsHost: string; natsPort: number; natsHttpPort: number;
  worker: boolean; workerId: string; workerTags: string; workerResolver?: string; workerPollTimeout?: number; workerArgs: string[];
}

/** The options, or the help text when --help was given. */
function parseUp(argv: string[]): UpOptions | string {
  const p = parseFlags(argv, FLAGS, HELP);
  if (p.help) return p.text;
  const f = p.flags;
  const natsHost = f["nats-listen-host"];
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

async function startGatewayOrExplain(io: CliIo, f: UpOptions): Promise<RunningGateway> {
  const env = effectiveEnv(io.env, io.cwd);
  const settings = loadSettings(env, { natsUrl: f.natsUrl, dashboardLang: f.dashboardLang, logLevel: f.logLevel });
  const log = createLogger({
    service: "pyoco-server:http", level: settings.logLevel, format: settings.logFormat, utc: settings.logUtc,
    includeTraceback: settings.logIncludeTraceback, write: (line) => io.stdout(line + "\n"),
  });
  try {
    return await startGateway({ settings, log, host: f.host, port: f.port, env });
  } catch (err) {
    if (err instanceof NatsUnavailableError) {
      throw new CliFailure("ERR-PYOCO-0003", "ERR-PYOCO-0003: NATS unavailable", `cannot use NATS at ${settings.natsUrl} (${err.reason})`,
        "start NATS (pyoco up --with-nats-bootstrap, or pyoco nats up) or pass --nats-url");
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

    const nats = f.bootstrap ? await startNats(io, f) : null;
    let gateway: RunningGateway;
    try {
      gateway = await startGatewayOrExplain(io, f);
    } catch (err) {
      await nats?.stop();
      throw err;
    }
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

    const natsDied = nats ? nats.exited.then(() => true) : new Promise<boolean>(() => {});
    const died = await Promise.race([whenAborted(io.signal).then(() => false), natsDied]);
    stopping = true;
    if (died) io.stderr(`pyoco: the local nats-server exited unexpectedly; stopping\n${nats!.logTail().trim().split("\n").slice(-5).join("\n")}\n`);
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
    return died ? 1 : 0;
  },
};
export default command;

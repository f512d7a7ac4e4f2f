/**
 * Start and stop a local `nats-server` with JetStream (used by `pyoco up --with-nats-bootstrap`
 * and `pyoco nats up`): find the binary, refuse ports that are taken, write the config, spawn it
 * in its own process group, and wait until the client port accepts connections — racing an early
 * exit and a deadline, like nats.js's test launcher. Every failure is a NatsServerError with a hint.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { PyocoError } from "../domain/errors.ts";
import { sleep } from "../lib/async.ts";
import { spawnSupervised, SpawnError, type ExitInfo } from "../lib/proc.ts";
import { renderServerConf, type ClientAuthConfOptions, type ClusterConfOptions, type TlsConfOptions } from "./conf.ts";
import { sideEffect } from "../lib/dry-run.ts";

/** Where nats-server usually lives when it is not on a non-root PATH (Debian installs into sbin). */
const EXTRA_PATH = "/usr/sbin:/usr/local/sbin:/sbin:/usr/local/bin:/usr/bin";
export const INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install nats-server), or pass --nats-server-path / set NATS_SERVER_PATH";

export class NatsServerError extends PyocoError {
  constructor(message: string, hint: string) { super("ERR-PYOCO-0031", message, { hint }); }
}

export interface LocalNatsServerOptions {
  /** Listen host (default 127.0.0.1). */
  host?: string;
  /** Client port. */
  port: number;
  /** Monitoring port; 0 turns monitoring off. */
  httpPort: number;
  /** JetStream store and config directory; relative to `cwd`. */
  dataDir: string;
  /** Explicit binary path (else NATS_SERVER_PATH in `env`, then PATH, then the sbin directories). */
  binary?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** How long to wait for the client port. Default 10 s. */
  startTimeoutMs?: number;
  /** Node name; default: the name stored in the data directory, else `<hostname>-<port>` (then stored). */
  serverName?: string;
  /** Join or form a cluster (route port, seeds, route auth). */
  cluster?: ClusterConfOptions;
  /** Require these credentials from clients. */
  auth?: ClientAuthConfOptions;
  tls?: TlsConfOptions;
  lameDuckDurationSec?: number;
  /** Add a local system-account user whose password is kept in `<dataDir>/system_password` (cluster ops). */
  systemAccount?: boolean;
}

/** Files a node keeps in its data directory, for `pyoco nats leave|down`. */
export function nodeFiles(storeDir: string) {
  return {
    conf: join(storeDir, "nats-server.conf"),
    /** pid of nats-server itself (written by nats-server). */
    serverPid: join(storeDir, "nats-server.pid"),
    /** pid of the pyoco process that supervises it (`pyoco nats up`, `pyoco up --with-nats-bootstrap`). */
    pyocoPid: join(storeDir, "pyoco.pid"),
    systemPassword: join(storeDir, "system_password"),
    /** Written by `leave`: the supervisor must not restart the server when it exits. */
    leaving: join(storeDir, "leaving"),
    /** The client URL of the node, for local commands. */
    clientUrl: join(storeDir, "client_url"),
  };
}

/** The system user of a node, creating its password on first use. */
export function systemUser(storeDir: string): { user: string; password: string } {
  const file = nodeFiles(storeDir).systemPassword;
  let password = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (!password) {
    password = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
    writeFileSync(file, password + "\n", { mode: 0o600 });
  }
  return { user: SYSTEM_USER, password };
}
export const SYSTEM_USER = "_pyoco_sys";

export interface LocalNatsServer {
  /** Client URL, e.g. nats://127.0.0.1:4222. */
  url: string;
  /** Monitoring URL, or null when monitoring is off. */
  monitorUrl: string | null;
  pid: number;
  storeDir: string;
  confPath: string;
  serverName: string;
  /** Resolves when the server process has exited (for any reason). */
  exited: Promise<ExitInfo>;
  /** The last lines nats-server wrote to stderr (its log). */
  logTail(): string;
  /** SIGTERM, wait `graceMs` (default 5 s), then SIGKILL. Idempotent. */
  stop(opts?: { graceMs?: number }): Promise<ExitInfo>;
}

/** The nats-server executable to run, or a NatsServerError saying how to get one. */
export function findNatsServer(explicit?: string, env: Record<string, string | undefined> = {}): string {
  const given = explicit || env.NATS_SERVER_PATH;
  if (given) {
    if (!existsSync(given) || !statSync(given).isFile()) {
      throw new NatsServerError(`nats-server not found at ${given}`, `check the path, or ${INSTALL_HINT}`);
    }
    return given;
  }
  const found = Bun.which("nats-server", env.PATH ? { PATH: env.PATH } : undefined) ?? Bun.which("nats-server", { PATH: EXTRA_PATH });
  if (!found) throw new NatsServerError("nats-server is required but was not found on PATH", INSTALL_HINT);
  return found;
}

/** True when something accepts TCP connections on host:port (within `timeoutMs`). */
export async function portAccepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const attempt = Bun.connect({ hostname: host, port, socket: { data() {}, open(s) { s.end(); } } })
    .then((s) => { s.end(); return true; }, () => false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); });
  try { return await Promise.race([attempt, timeout]); } finally { clearTimeout(timer); }
}

/** The host clients should dial for a listen host (a wildcard listen is reached on loopback). */
function dialHost(host: string): string {
  return host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
}

async function waitUntilAccepting(host: string, port: number, exited: Promise<ExitInfo>, timeoutMs: number): Promise<"up" | "exited" | "timeout"> {
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const early = exited.then(() => "exited" as const);
  const deadline = new Promise<"timeout">((r) => { timer = setTimeout(() => r("timeout"), timeoutMs); });
  const probe = (async () => {
    while (!done) {
      if (await portAccepts(host, port, 500)) return "up" as const;
      await sleep(50);   // poll interval of the original's bootstrap (50 ms)
    }
    return "timeout" as const;
  })();
  try { return await Promise.race([probe, early, deadline]); } finally { done = true; clearTimeout(timer); }
}

/**
 * The node's name, stable across restarts: JetStream knows cluster peers by name, so a node that
 * came back under another name would be a stranger. Stored in the data directory on first start.
 */
function storedServerName(storeDir: string, fallback: string): string {
  const file = join(storeDir, "server_name");
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    if (stored) return stored;
  }
  const name = fallback.replace(/[^A-Za-z0-9_.-]/g, "_");
  writeFileSync(file, name + "\n");
  return name;
}

/** Start nats-server and resolve once its client port accepts connections. */
export async function startLocalNatsServer(opts: LocalNatsServerOptions): Promise<LocalNatsServer> {
  sideEffect("starting nats-server");
  const host = opts.host ?? "127.0.0.1";
  const dial = dialHost(host);
  const binary = findNatsServer(opts.binary, opts.env ?? {});
  if (await portAccepts(dial, opts.port)) {
    throw new NatsServerError(`NATS client port is already in use: ${host}:${opts.port}`, "stop whatever listens there, or choose another port (--nats-client-port)");
  }
  if (opts.httpPort > 0 && await portAccepts(dial, opts.httpPort)) {
    throw new NatsServerError(`NATS monitor port is already in use: ${host}:${opts.httpPort}`, "stop whatever listens there, or choose another port (--nats-http-port)");
  }
  if (opts.cluster && await portAccepts(dialHost(opts.cluster.host ?? host), opts.cluster.port)) {
    throw new NatsServerError(`NATS cluster port is already in use: ${opts.cluster.host ?? host}:${opts.cluster.port}`, "stop whatever listens there, or choose another port (--cluster-port / --nats-cluster-port)");
  }
  const storeDir = resolve(opts.cwd ?? process.cwd(), opts.dataDir);
  const files = nodeFiles(storeDir);
  const confPath = files.conf;
  let serverName = "";
  try {
    mkdirSync(storeDir, { recursive: true });
    serverName = opts.serverName || storedServerName(storeDir, `${hostname()}-${opts.port}`);
    writeFileSync(confPath, renderServerConf({
      host, port: opts.port, httpPort: opts.httpPort, storeDir, serverName, cluster: opts.cluster, auth: opts.auth, tls: opts.tls,
      lameDuckDurationSec: opts.lameDuckDurationSec, pidFile: files.serverPid,
      systemUser: opts.systemAccount && !opts.auth?.token ? systemUser(storeDir) : undefined,
    }), { mode: 0o600 });
    writeFileSync(files.clientUrl, `nats://${dial}:${opts.port}\n`);
  } catch (err) {
    throw new NatsServerError(`cannot prepare the NATS data directory ${storeDir}: ${(err as Error).message}`, "choose a writable directory with --data-dir");
  }

  let tail = "";
  const decoder = new TextDecoder();
  let proc;
  try {
    proc = spawnSupervised({
      cmd: [binary, "-c", confPath], cwd: opts.cwd, env: opts.env,
      onStderr: (chunk) => { tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000); },
      onStdout: (chunk) => { tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000); },
    });
  } catch (err) {
    throw new NatsServerError(err instanceof SpawnError ? err.message : String(err), INSTALL_HINT);
  }

  const outcome = await waitUntilAccepting(dial, opts.port, proc.exited, opts.startTimeoutMs ?? 10_000);
  if (outcome !== "up") {
    const info = outcome === "exited" ? await proc.exited : await proc.stop({ graceMs: 2000 });
    const lastLines = tail.trim().split("\n").slice(-3).join(" | ");
    const what = outcome === "exited"
      ? `nats-server exited early with code ${info.exitCode ?? info.signal}`
      : `timeout waiting for NATS startup: ${host}:${opts.port}`;
    throw new NatsServerError(`${what}${lastLines ? ` (${lastLines})` : ""}`, `see the nats-server log above; check ${confPath}`);
  }
  return {
    url: `nats://${dial}:${opts.port}`,
    monitorUrl: opts.httpPort > 0 ? `http://${dial}:${opts.httpPort}` : null,
    pid: proc.pid,
    storeDir,
    confPath,
    serverName,
    exited: proc.exited,
    logTail: () => tail,
    stop: (o) => proc.stop({ graceMs: o?.graceMs ?? 5000 }),
  };
}

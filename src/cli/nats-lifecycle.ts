/**
 * Node lifecycle verbs of `pyoco nats`: up / join (run a node in the foreground, supervised),
 * leave (peer removal, then lame duck), down (stop the node of a data directory) and service
 * (a systemd unit). Files of a node live in its data directory (nats-ops nodeFiles).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { sideEffect } from "../lib/dry-run.ts";
import { isAbsolute, join, resolve } from "node:path";
import { effectiveEnv, loadSettings } from "../config/index.ts";
import { leaveCluster, LeaveError } from "../jetstream/index.ts";
import { sleep, waitFor } from "../lib/async.ts";
import { nodeFiles, SYSTEM_USER } from "../nats-ops/index.ts";
import { numberFlag, parseFlags, type CommandHelp, type FlagTable } from "./args.ts";
import { CliFailure, CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { nodeOptions, parseSeeds, startNode } from "./nats-node.ts";

const NODE_FLAGS = {
  host: { type: "string", default: "127.0.0.1", value: "HOST", description: "listen host of the client and cluster ports (0.0.0.0 for a LAN)" },
  port: { type: "string", default: "4222", value: "PORT", description: "client port" },
  "http-port": { type: "string", default: "8222", value: "PORT", description: "monitor port (0 = off)" },
  "data-dir": { type: "string", default: ".pyoco/nats", value: "DIR", description: "JetStream store directory (also holds the node's pid and name files)" },
  "nats-server-path": { type: "string", value: "PATH", description: "nats-server binary (else NATS_SERVER_PATH or PATH)" },
  "server-name": { type: "string", value: "NAME", description: "unique node name (default: stored in the data dir, else HOSTNAME-PORT)" },
  "cluster-port": { type: "string", value: "PORT", description: "route port: form or join a cluster (6222 by convention)" },
  "cluster-name": { type: "string", default: "pyoco", value: "NAME", description: "cluster name (the same on every node)" },
  seed: { type: "string", multiple: true, value: "URL", description: "seed route(s) of the cluster, repeatable or comma-separated: nats-route://HOST:6222" },
  "tls-cert": { type: "string", value: "FILE", description: "TLS certificate of the client port (with --tls-key)" },
  "tls-key": { type: "string", value: "FILE", description: "TLS key of the client port" },
  "tls-ca": { type: "string", value: "FILE", description: "CA to verify client certificates (with --tls-verify)" },
  "tls-verify": { type: "boolean", description: "require client certificates signed by --tls-ca" },
  "lame-duck-sec": { type: "string", value: "SEC", description: "lame duck duration of `leave`: clients move away over it (nats-server minimum and default 30)" },
} as const satisfies FlagTable;

const AUTH_NOTE = "Clients must then authenticate as PYOCO_NATS_USER/PYOCO_NATS_PASSWORD or PYOCO_NATS_TOKEN when set; routes use PYOCO_NATS_CLUSTER_USER/PASSWORD (default: the client user).";

async function runNode(kind: "up" | "join", argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = kind === "up"
    ? { program: "pyoco nats up", summary: "run a local nats-server with JetStream until Ctrl-C (restarted if it dies)", notes: [AUTH_NOTE],
        examples: ["pyoco nats up", "pyoco nats up --port 4223 --data-dir /var/lib/pyoco/nats", "pyoco nats up --host 0.0.0.0 --cluster-port 6222   # first node of a cluster"] }
    : { program: "pyoco nats join", summary: "run a local nats-server that joins a cluster through its seeds", notes: [AUTH_NOTE],
        examples: ["pyoco nats join --host 0.0.0.0 --seed nats-route://10.0.0.1:6222", "pyoco nats join --seed 10.0.0.1:6222,10.0.0.2:6222 --cluster-port 6222"] };
  const p = parseFlags(argv, NODE_FLAGS, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const f = p.flags;
  const usage = `usage: ${help.program} [options]`;
  const portOf = (v: string | undefined, name: string, min: number) => numberFlag(v, name, help, NODE_FLAGS, { integer: true, min, max: 65535 });
  const seeds = parseSeeds(f.seed, help.program, usage);
  if (kind === "join" && seeds.length === 0) throw new CliUsageError("--seed is required", usage, help.program, "name a running node's cluster port: --seed nats-route://10.0.0.1:6222");
  const clusterPort = portOf(f["cluster-port"] ?? (kind === "join" || seeds.length ? "6222" : undefined), "cluster-port", 1);
  if ((f["tls-cert"] === undefined) !== (f["tls-key"] === undefined)) throw new CliUsageError("--tls-cert and --tls-key go together", usage, help.program);
  const settings = loadSettings(effectiveEnv(io.env, io.cwd));
  const opts = nodeOptions({
    host: f.host, port: portOf(f.port, "port", 1)!, httpPort: portOf(f["http-port"], "http-port", 0)!, dataDir: f["data-dir"], binary: f["nats-server-path"],
    serverName: f["server-name"], clusterPort, clusterName: f["cluster-name"], join: seeds,
    tlsCert: f["tls-cert"], tlsKey: f["tls-key"], tlsCa: f["tls-ca"], tlsVerify: f["tls-verify"],
    lameDuckSec: numberFlag(f["lame-duck-sec"], "lame-duck-sec", help, NODE_FLAGS, { min: 30, max: 3600 }),
  }, settings, io);
  const node = await startNode(io, opts);
  io.stderr("pyoco: Ctrl-C stops it; `pyoco nats leave --confirm` takes it out of the cluster\n");
  const how = await node.done;
  await node.stop();
  io.stderr(how === "left" ? "pyoco: node left the cluster; stopped\n" : "pyoco: nats-server stopped\n");
  return 0;
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch { return null; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return true; }
}

const DIR_FLAGS = {
  "data-dir": { type: "string", default: ".pyoco/nats", value: "DIR", description: "data directory of the node (as given to `pyoco nats up`)" },
  confirm: { type: "boolean", description: "really do it" },
  "timeout-sec": { type: "string", default: "60", value: "SEC", description: "how long to wait for the node to stop (then it is stopped at once)" },
} as const satisfies FlagTable;

function nodeDir(io: CliIo, dataDir: string): { dir: string; files: ReturnType<typeof nodeFiles> } {
  const dir = resolve(io.cwd, dataDir);
  if (!existsSync(join(dir, "nats-server.conf"))) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: no pyoco NATS node here", `${dir} holds no node started by pyoco`,
      "pass the --data-dir given to `pyoco nats up` (or `pyoco up --data-dir`)");
  }
  return { dir, files: nodeFiles(dir) };
}

async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  try { await waitFor(() => pids.every((p) => !alive(p)), { timeoutMs, intervalMs: 100, what: "node stop" }); return true; } catch { return false; }
}

async function down(argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = { program: "pyoco nats down", summary: "stop the NATS node started by `pyoco nats up` (or `pyoco up --with-nats-bootstrap`) in a data directory",
    notes: ["It stays a cluster member: starting it again rejoins. Use `pyoco nats leave` to retire it."],
    examples: ["pyoco nats down --confirm", "pyoco nats down --data-dir /var/lib/pyoco/nats --confirm"] };
  const p = parseFlags(argv, DIR_FLAGS, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { dir, files } = nodeDir(io, p.flags["data-dir"]);
  const pyocoPid = readPid(files.pyocoPid);
  const serverPid = readPid(files.serverPid);
  const running = [pyocoPid, serverPid].filter((x): x is number => x !== null && alive(x));
  if (running.length === 0) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: the node is not running", `no live process in ${files.pyocoPid} or ${files.serverPid}`, "nothing to stop; start it with `pyoco nats up`");
  }
  if (!p.flags.confirm) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: confirmation required", `this stops the NATS node in ${dir} (pids ${running.join(", ")})`, "add --confirm");
  // The supervising pyoco first (it stops its nats-server cleanly); a lone nats-server directly.
  const first = pyocoPid !== null && alive(pyocoPid) ? pyocoPid : serverPid!;
  process.kill(first, "SIGTERM");
  const timeoutMs = numberFlag(p.flags["timeout-sec"], "timeout-sec", help, DIR_FLAGS, { min: 1 })! * 1000;
  if (!(await waitGone([first], timeoutMs))) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: the node did not stop", `pid ${first} still runs after ${timeoutMs / 1000} s`, `kill -9 ${first}, or wait and run again`);
  }
  if (serverPid !== null && alive(serverPid)) { process.kill(serverPid, "SIGTERM"); await waitGone([serverPid], timeoutMs); }
  io.stdout(`stopped the NATS node in ${dir}\n`);
  return 0;
}

async function leave(argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = { program: "pyoco nats leave", summary: "take the local node out of its cluster: peer removal (the others re-place replicas), then lame duck and stop",
    notes: ["Run it on the node that leaves. Needs the node's system user (pyoco sets it up unless PYOCO_NATS_TOKEN auth is used)."],
    examples: ["pyoco nats leave --confirm", "pyoco nats leave --data-dir /var/lib/pyoco/nats --confirm"] };
  const p = parseFlags(argv, DIR_FLAGS, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { dir, files } = nodeDir(io, p.flags["data-dir"]);
  const serverPid = readPid(files.serverPid);
  if (serverPid === null || !alive(serverPid)) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: the node is not running", `no live nats-server pid in ${files.serverPid}`, "start it (pyoco nats up) before it can leave");
  }
  if (!existsSync(files.systemPassword)) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: this node has no system user", `${dir} was not started as a cluster node, or uses token auth`,
      "only cluster nodes (started with --cluster-port / --seed) can leave; a single node is stopped with `pyoco nats down --confirm`");
  }
  if (!p.flags.confirm) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: confirmation required", `this removes the node in ${dir} from its cluster and stops it`, "add --confirm");
  const settings = loadSettings(effectiveEnv(io.env, io.cwd));
  const url = readFileSync(files.clientUrl, "utf8").trim();
  try {
    const name = await leaveCluster({
      url, user: SYSTEM_USER, password: readFileSync(files.systemPassword, "utf8").trim(), settings,
      progress: (line) => io.stderr(`pyoco: ${line}\n`),
    });
    // Mark the exit as intended (the supervisor must not restart it), then lame duck.
    writeFileSync(files.leaving, `${Date.now()}\n`);
    process.kill(serverPid, "SIGUSR2");
    io.stderr(`pyoco: ${name} is in lame duck mode; waiting for it to stop\n`);
  } catch (err) {
    if (err instanceof LeaveError) throw new CliFailure("ERR-PYOCO-0003", "ERR-PYOCO-0003: cannot leave the cluster", err.message, err.hint ?? "check `pyoco nats status`");
    throw err;
  }
  const timeoutMs = numberFlag(p.flags["timeout-sec"], "timeout-sec", help, DIR_FLAGS, { min: 1 })! * 1000;
  if (!(await waitGone([serverPid], timeoutMs))) {
    process.kill(serverPid, "SIGTERM");
    await sleep(500);
  }
  io.stdout(`left the cluster; the node in ${dir} is stopped\n`);
  return 0;
}

const SERVICE_ROLES = ["up", "worker", "nats"] as const;

function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `"${w.replace(/(["\\$`])/g, "\\$1")}"`;
}

async function service(argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = {
    program: "pyoco nats service", summary: "print (or with `install`, write) a systemd unit that runs pyoco up, pyoco worker or pyoco nats up",
    positionals: "[install] {up,worker,nats} [ARGS...]",
    notes: ["Everything after the role is passed to the command as given (e.g. `nats up --host 0.0.0.0 --cluster-port 6222`).",
      "PYOCO_* settings go into the environment file (--env-file), not the unit."],
    examples: ["pyoco nats service up --with-nats-bootstrap --host 0.0.0.0 --nats-cluster-port 6222",
      "pyoco nats service install worker --tags cpu --nats-url nats://10.0.0.1:4222,nats://10.0.0.2:4222",
      "pyoco nats service nats up --host 0.0.0.0 --cluster-port 6222"],
  };
  const flags = {
    name: { type: "string", value: "NAME", description: "unit name (default pyoco-<role>)" },
    user: { type: "string", value: "USER", description: "run as this user" },
    "working-dir": { type: "string", value: "DIR", description: "working directory (default: the current one)" },
    "env-file": { type: "string", default: "/etc/pyoco/pyoco.env", value: "FILE", description: "EnvironmentFile= (optional at run time)" },
    "unit-dir": { type: "string", default: "/etc/systemd/system", value: "DIR", description: "where `install` writes the unit" },
  } as const satisfies FlagTable;
  const install = argv[0] === "install";
  const rest = install ? argv.slice(1) : argv;
  const roleAt = rest.findIndex((a) => (SERVICE_ROLES as readonly string[]).includes(a));
  const own = roleAt < 0 ? rest : rest.slice(0, roleAt);
  const p = parseFlags(own, flags, help);
  if (p.help) { io.stdout(p.text); return 0; }
  if (roleAt < 0) throw new CliUsageError("a role is required: up, worker or nats", "usage: pyoco nats service [install] {up,worker,nats} [ARGS...]", help.program, "e.g. pyoco nats service worker --tags cpu");
  const roleArgs = rest.slice(roleAt);
  const role = roleArgs[0]!;
  const unitName = p.flags.name ?? `pyoco-${role === "nats" ? "nats" : role}`;
  const exec = [io.self.execPath, ...io.self.prefixArgs.map((a) => (isAbsolute(a) || !existsSync(resolve(io.cwd, a)) ? a : resolve(io.cwd, a))), ...roleArgs];
  const unit = [
    "[Unit]",
    `Description=pyoco ${roleArgs.join(" ")}`,
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(p.flags.user ? [`User=${p.flags.user}`] : []),
    `WorkingDirectory=${p.flags["working-dir"] ? resolve(io.cwd, p.flags["working-dir"]) : io.cwd}`,
    `EnvironmentFile=-${p.flags["env-file"]}`,
    `ExecStart=${exec.map(shellWord).join(" ")}`,
    "KillSignal=SIGTERM",
    "TimeoutStopSec=90",
    "Restart=on-failure",
    "RestartSec=5",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
  if (!install) { io.stdout(unit); return 0; }
  sideEffect("writing a systemd unit");
  const path = join(resolve(io.cwd, p.flags["unit-dir"]), `${unitName}.service`);
  try {
    mkdirSync(resolve(io.cwd, p.flags["unit-dir"]), { recursive: true });
    writeFileSync(path, unit);
  } catch (err) {
    throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: cannot write the unit", `${path}: ${(err as Error).message}`, "run as root, or pass --unit-dir");
  }
  io.stdout(`wrote ${path}\nnext: systemctl daemon-reload && systemctl enable --now ${unitName}\n`);
  return 0;
}

export function lifecycle(sub: "up" | "join" | "leave" | "down" | "service", argv: string[], io: CliIo): Promise<number> {
  switch (sub) {
    case "up": return runNode("up", argv, io);
    case "join": return runNode("join", argv, io);
    case "down": return down(argv, io);
    case "leave": return leave(argv, io);
    case "service": return service(argv, io);
  }
}

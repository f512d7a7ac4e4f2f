/**
 * `pyoco nats …`: run, join, inspect, back up and retire the NATS JetStream nodes pyoco uses,
 * without a separate `nats` CLI. This file is the dispatcher plus the client-side checks
 * (status, doctor); node lifecycle lives in nats-lifecycle.ts, backup/restore in nats-backup.ts.
 */
import { effectiveEnv, loadSettings, type Settings } from "../config/index.ts";
import { PyocoJetStream, redactNatsUrl, resourceStreams, WORK_STREAM, type StreamReport } from "../jetstream/index.ts";
import { silentLogger } from "../lib/log.ts";
import { parseFlags, renderHelp, type CommandHelp } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure, CliUsageError, headline } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { renderTable } from "./client/table.ts";

const SUBCOMMANDS = {
  status: "servers, stream leaders, replicas and lag, per-tag queues (table; --output json)",
  doctor: "check every pyoco resource and its replicas; --fix creates missing ones, --fix-replicas raises replicas",
  up: "run a local nats-server with JetStream in the foreground (--cluster-port forms a cluster)",
  join: "run a local nats-server that joins a cluster (--seed nats-route://HOST:6222)",
  leave: "take the local node out of its cluster (lame duck, then peer removal); needs --confirm",
  down: "stop the node started by `pyoco nats up` in this data directory; needs --confirm",
  service: "print (or with `install`, write) a systemd unit for pyoco up, worker or nats up",
  backup: "write every pyoco stream, KV bucket and object store to one file (--out FILE)",
  restore: "recreate them from a backup file on an empty server or cluster (--in FILE --confirm)",
} as const;
type Sub = keyof typeof SUBCOMMANDS;

const HELP: CommandHelp = {
  program: "pyoco nats", summary: "run and operate the NATS JetStream server or cluster pyoco uses",
  positionals: `{${Object.keys(SUBCOMMANDS).join(",")}} ...`,
  notes: ["subcommands:", ...Object.entries(SUBCOMMANDS).map(([n, s]) => `  ${n.padEnd(8)} ${s}`),
    "", "--nats-url may come before or after the subcommand; it takes a seed list: nats://a:4222,nats://b:4222"],
  examples: ["pyoco nats status", "pyoco nats --nats-url nats://10.0.0.5:4222 doctor --fix", "pyoco nats up --data-dir .pyoco/nats",
    "pyoco nats up --host 0.0.0.0 --cluster-port 6222", "pyoco nats join --host 0.0.0.0 --seed nats-route://10.0.0.1:6222"],
};
export const NATS_URL_FLAG = { "nats-url": { type: "string", value: "URL", description: "NATS server or seed list (overrides PYOCO_NATS_URL)" } } as const;
const OUTPUT_FLAG = { output: { type: "string", default: "table", choices: ["table", "json"], value: "FORMAT", description: "output format" } } as const;

/** Connect as a CLI client (no waiting: a CLI answers now), or fail with ERR-PYOCO-0003 and a hint. */
export async function connectCli(io: CliIo, natsUrl: string | undefined, name = "pyoco-nats-cli"): Promise<{ js: PyocoJetStream; settings: Settings }> {
  const settings = loadSettings(effectiveEnv(io.env, io.cwd), natsUrl ? { natsUrl } : {});
  try {
    return { js: await PyocoJetStream.connect(settings, { name, log: silentLogger, timeoutMs: 3000 }), settings };
  } catch (err) {
    throw new CliFailure("ERR-PYOCO-0003", headline("ERR-PYOCO-0003"), `cannot connect to ${redactNatsUrl(settings.natsUrl)}: ${(err as Error).message}`,
      (err as { hint?: string }).hint ?? "start one with `pyoco nats up` or `pyoco up --with-nats-bootstrap`, or pass --nats-url (credentials: PYOCO_NATS_USER/PASSWORD, PYOCO_NATS_TOKEN, PYOCO_NATS_CREDS)");
  }
}

/** Servers seen in the cluster: the connected one and every stream leader and replica. */
function clusterServers(js: PyocoJetStream, reports: StreamReport[]): string[] {
  const names = new Set<string>([js.server().name]);
  for (const r of reports) {
    if (r.leader) names.add(r.leader);
    for (const f of r.followers) names.add(f.name);
  }
  return [...names].filter(Boolean).sort();
}

/** The replica count the resources should have now: PYOCO_JS_REPLICAS, or auto = min(3, servers). */
function wantedReplicas(js: PyocoJetStream, servers: string[]): number {
  const setting = js.settings.jsReplicas;
  if (setting !== "auto") return Number(setting);
  return js.server().cluster ? Math.min(3, servers.length) : 1;
}

async function status(argv: string[], io: CliIo): Promise<number> {
  const help = { program: "pyoco nats status", summary: "servers, stream leaders, replicas and lag, and per-tag queues", examples: ["pyoco nats status", "pyoco nats status --output json"] };
  const p = parseFlags(argv, { ...NATS_URL_FLAG, ...OUTPUT_FLAG } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { js, settings } = await connectCli(io, p.flags["nats-url"]);
  try {
    const reports = await js.streamReports();
    const present = new Set(reports.map((r) => r.name));
    const streams: Record<string, number | null> = {};
    for (const name of resourceStreams(js.names)) streams[name] = reports.find((r) => r.name === name)?.messages ?? null;
    const queues = present.has(WORK_STREAM) ? await js.queue.tagInfo() : [];
    const server = js.server();
    const servers = clusterServers(js, reports);
    if (p.flags.output === "json") {
      io.stdout(JSON.stringify({
        nats_url: redactNatsUrl(settings.natsUrl), connected: js.connected, server: { name: server.name, version: server.version, cluster: server.cluster },
        servers, streams,
        stream_details: reports.map((r) => ({
          name: r.name, kind: r.kind, replicas: r.replicas, messages: r.messages, bytes: r.bytes, leader: r.leader,
          followers: r.followers.map((f) => ({ name: f.name, current: f.current, offline: f.offline, active_sec: f.activeSec, lag: f.lag })),
        })),
        queues,
      }, null, 2) + "\n");
      return 0;
    }
    io.stdout(`connected to ${server.name || "?"} (nats-server ${server.version}) via ${redactNatsUrl(settings.natsUrl)}\n`);
    io.stdout(server.cluster ? `cluster '${server.cluster}': ${servers.length} server(s): ${servers.join(", ")}\n\n` : "single server (no cluster)\n\n");
    io.stdout(renderTable(["stream", "kind", "replicas", "leader", "messages", "followers"], reports.map((r) => ({
      stream: r.name, kind: r.kind, replicas: r.replicas, leader: r.leader ?? (server.cluster ? "NONE" : server.name), messages: r.messages,
      followers: r.followers.map((f) => `${f.name}${f.offline ? " offline" : f.current ? "" : " behind"} lag ${f.lag}`).join(", ") || "-",
    }))));
    const missing = resourceStreams(js.names).filter((n) => !present.has(n));
    if (missing.length) io.stdout(`\nmissing: ${missing.join(", ")} (pyoco nats doctor --fix)\n`);
    if (queues.length) {
      io.stdout("\n");
      io.stdout(renderTable(["tag", "waiting", "unacknowledged", "pullsWaiting"], queues as unknown as Record<string, unknown>[]));
    }
    return 0;
  } finally { await js.close(); }
}

async function doctor(argv: string[], io: CliIo): Promise<number> {
  const help = { program: "pyoco nats doctor", summary: "check pyoco's streams, buckets, object store and their replicas", examples: ["pyoco nats doctor", "pyoco nats doctor --fix", "pyoco nats doctor --fix-replicas"] };
  const p = parseFlags(argv, {
    ...NATS_URL_FLAG,
    fix: { type: "boolean", description: "create missing resources (never changes existing ones)" },
    "fix-replicas": { type: "boolean", description: "raise the replicas of streams below PYOCO_JS_REPLICAS (auto: min(3, servers))" },
  } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { js, settings } = await connectCli(io, p.flags["nats-url"]);
  try {
    io.stdout(`ok   connected to ${redactNatsUrl(settings.natsUrl)}${js.server().cluster ? ` (cluster '${js.server().cluster}')` : ""}\n`);
    if (p.flags.fix) {
      const results = await js.ensureResources();
      for (const r of results.filter((x) => x.created)) io.stdout(`fix  created ${r.kind} ${r.name}\n`);
    }
    let reports = await js.streamReports();
    const want = wantedReplicas(js, clusterServers(js, reports));
    if (p.flags["fix-replicas"]) {
      for (const r of reports.filter((x) => x.replicas < want)) {
        try {
          await js.setStreamReplicas(r.name, want);
          io.stdout(`fix  ${r.name}: replicas ${r.replicas} -> ${want}\n`);
        } catch (err) {
          io.stdout(`FAIL ${r.name}: cannot raise replicas to ${want}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}\n`);
        }
      }
      reports = await js.streamReports();
    }
    let missing = 0;
    let low = 0;
    for (const name of resourceStreams(js.names)) {
      const r = reports.find((x) => x.name === name);
      if (!r) { missing++; io.stdout(`MISS ${name}\n`); continue; }
      if (r.replicas < want) { low++; io.stdout(`LOW  ${name}: replicas ${r.replicas} < ${want}\n`); continue; }
      io.stdout(`ok   ${name}${js.server().cluster ? ` (replicas ${r.replicas}, leader ${r.leader ?? "NONE"})` : ""}\n`);
    }
    if (missing) io.stderr(`${missing} resource(s) missing; run \`pyoco nats doctor --fix\` (or start the gateway, which creates them)\n`);
    if (low) io.stderr(`${low} stream(s) have fewer replicas than ${want}; run \`pyoco nats doctor --fix-replicas\` to raise them\n`);
    return missing || low ? 1 : 0;
  } finally { await js.close(); }
}

/** `--nats-url URL` (or `--nats-url=URL`) given before the subcommand, moved after it. */
function hoistNatsUrl(argv: string[]): { sub: string | undefined; rest: string[]; help: boolean } {
  const lead: string[] = [];
  let i = 0;
  let help = false;
  while (i < argv.length && argv[i]!.startsWith("-")) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") { help = true; i++; continue; }
    if (a === "--nats-url") {
      if (i + 1 >= argv.length) throw new CliUsageError("argument --nats-url: expected one argument", "usage: pyoco nats [--nats-url URL] {status,doctor,...} ...", "pyoco nats");
      lead.push(a, argv[i + 1]!); i += 2; continue;
    }
    if (a.startsWith("--nats-url=")) { lead.push(a); i++; continue; }
    throw new CliUsageError(`unrecognized arguments: ${a}`, "usage: pyoco nats [--nats-url URL] {status,doctor,...} ...", "pyoco nats");
  }
  const [sub, ...rest] = argv.slice(i);
  return { sub, rest: [...rest, ...lead], help };
}

const command: Command = {
  name: "nats", summary: HELP.summary, style: "argparse",
  async run(argv, io) {
    const { sub, rest, help } = hoistNatsUrl(argv);
    if (!sub || sub === "help") { io.stdout(renderHelp(HELP, NATS_URL_FLAG)); return 0; }
    if (!(sub in SUBCOMMANDS)) {
      throw new CliUsageError(`invalid choice: '${sub}' (choose from ${Object.keys(SUBCOMMANDS).map((s) => `'${s}'`).join(", ")})`, `usage: pyoco nats {${Object.keys(SUBCOMMANDS).join(",")}} ...`, "pyoco nats",
        "pass one of: " + Object.keys(SUBCOMMANDS).map((s) => `\`pyoco nats ${s}\``).join(", "));
    }
    const args = help ? [...rest, "--help"] : rest;
    switch (sub as Sub) {
      case "status": return status(args, io);
      case "doctor": return doctor(args, io);
      case "backup": return (await import("./nats-backup.ts")).backup(args, io);
      case "restore": return (await import("./nats-backup.ts")).restore(args, io);
      default: return (await import("./nats-lifecycle.ts")).lifecycle(sub as "up" | "join" | "leave" | "down" | "service", args, io);
    }
  },
};
export default command;

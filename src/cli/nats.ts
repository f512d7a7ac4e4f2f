/**
 * `pyoco nats status|doctor|up`: day-2 checks of the JetStream server pyoco uses, without a
 * separate `nats` CLI. `up` starts a local single-node server in the foreground.
 */
import { effectiveEnv, loadSettings, type Settings } from "../config/index.ts";
import { PyocoJetStream, WORK_STREAM } from "../jetstream/index.ts";
import { whenAborted } from "../lib/async.ts";
import { silentLogger } from "../lib/log.ts";
import { numberFlag, parseFlags, renderHelp, type CommandHelp } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure, CliUsageError, headline } from "./errors.ts";
import type { CliIo } from "./io.ts";

const HELP: CommandHelp = {
  program: "pyoco nats", summary: "inspect and start the NATS JetStream server pyoco uses",
  positionals: "{status,doctor,up} ...",
  notes: ["subcommands:",
    "  status   connection, streams with message counts, per-tag queues (JSON)",
    "  doctor   check that every pyoco resource exists; --fix creates the missing ones",
    "  up       run a local single-node nats-server with JetStream in the foreground"],
  examples: ["pyoco nats status", "pyoco nats doctor --fix --nats-url nats://10.0.0.5:4222", "pyoco nats up --data-dir .pyoco/nats"],
};
const COMMON = { "nats-url": { type: "string", value: "URL", description: "NATS server (overrides PYOCO_NATS_URL)" } } as const;

async function connect(io: CliIo, natsUrl: string | undefined): Promise<{ js: PyocoJetStream; settings: Settings }> {
  const settings = loadSettings(effectiveEnv(io.env, io.cwd), natsUrl ? { natsUrl } : {});
  try {
    return { js: await PyocoJetStream.connect(settings, { name: "pyoco-nats-cli", log: silentLogger, timeoutMs: 3000 }), settings };
  } catch (err) {
    throw new CliFailure("ERR-PYOCO-0003", headline("ERR-PYOCO-0003"), `cannot connect to ${settings.natsUrl}: ${(err as Error).message}`,
      "start one with `pyoco nats up` or `pyoco up --with-nats-bootstrap`, or pass --nats-url");
  }
}

function expectedStreams(js: PyocoJetStream): string[] {
  const n = js.names;
  return [WORK_STREAM, n.dlqStream, ...[n.runsBucket, n.workersBucket, n.bundlesBucket, n.schedulesBucket, n.relationsBucket, n.authBucket, n.wheelHistoryBucket]
    .map((b) => `KV_${b}`), `OBJ_${n.wheelBucket}`];
}

async function status(argv: string[], io: CliIo): Promise<number> {
  const help = { program: "pyoco nats status", summary: "show connection, streams and per-tag queues as JSON", examples: ["pyoco nats status"] };
  const p = parseFlags(argv, COMMON, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { js, settings } = await connect(io, p.flags["nats-url"]);
  try {
    const streams: Record<string, number | null> = {};
    for (const name of expectedStreams(js)) streams[name] = (await js.stream(name))?.messages ?? null;
    const queues = streams[WORK_STREAM] === null ? [] : await js.queue.tagInfo();
    io.stdout(JSON.stringify({ nats_url: settings.natsUrl, connected: js.connected, streams, queues }, null, 2) + "\n");
    return 0;
  } finally { await js.close(); }
}

async function doctor(argv: string[], io: CliIo): Promise<number> {
  const help = { program: "pyoco nats doctor", summary: "check pyoco's streams, buckets and object store", examples: ["pyoco nats doctor", "pyoco nats doctor --fix"] };
  const p = parseFlags(argv, { ...COMMON, fix: { type: "boolean", description: "create missing resources (never changes existing ones)" } } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const { js, settings } = await connect(io, p.flags["nats-url"]);
  try {
    io.stdout(`ok   connected to ${settings.natsUrl}\n`);
    if (p.flags.fix) {
      const results = await js.ensureResources();
      for (const r of results.filter((x) => x.created)) io.stdout(`fix  created ${r.kind} ${r.name}\n`);
    }
    let missing = 0;
    for (const name of expectedStreams(js)) {
      const present = (await js.stream(name)) !== null;
      if (!present) missing++;
      io.stdout(`${present ? "ok  " : "MISS"} ${name}\n`);
    }
    if (missing) io.stderr(`${missing} resource(s) missing; run \`pyoco nats doctor --fix\` (or start the gateway, which creates them)\n`);
    return missing ? 1 : 0;
  } finally { await js.close(); }
}

async function up(argv: string[], io: CliIo): Promise<number> {
  const help = { program: "pyoco nats up", summary: "run a local nats-server with JetStream until Ctrl-C", examples: ["pyoco nats up", "pyoco nats up --port 4223 --data-dir /var/lib/pyoco/nats"] };
  const p = parseFlags(argv, {
    host: { type: "string", default: "127.0.0.1", value: "HOST", description: "listen host" },
    port: { type: "string", default: "4222", value: "PORT", description: "client port" },
    "http-port": { type: "string", default: "8222", value: "PORT", description: "monitor port" },
    "data-dir": { type: "string", default: ".pyoco/nats", value: "DIR", description: "JetStream store directory" },
    "nats-server-path": { type: "string", value: "PATH", description: "nats-server binary (else NATS_SERVER_PATH or PATH)" },
  } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  const port = numberFlag(p.flags.port, "port", help, {}, { integer: true, min: 1, max: 65535 })!;
  const httpPort = numberFlag(p.flags["http-port"], "http-port", help, {}, { integer: true, min: 1, max: 65535 })!;
  const ops = await import("../nats-ops/index.ts");
  const server = await ops.startLocalNatsServer({
    host: p.flags.host, port, httpPort, dataDir: p.flags["data-dir"], binary: p.flags["nats-server-path"], cwd: io.cwd, env: io.env,
  });
  io.stderr(`nats-server listening on ${server.url} (monitor http://${p.flags.host}:${httpPort}, store ${p.flags["data-dir"]}); Ctrl-C stops it\n`);
  await Promise.race([server.exited, whenAborted(io.signal)]);
  await server.stop();
  return 0;
}

const command: Command = {
  name: "nats", summary: HELP.summary, style: "argparse",
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (!sub || sub === "-h" || sub === "--help") { io.stdout(renderHelp(HELP, COMMON)); return 0; }
    if (sub === "status") return status(rest, io);
    if (sub === "doctor") return doctor(rest, io);
    if (sub === "up") return up(rest, io);
    throw new CliUsageError(`invalid choice: '${sub}' (choose from 'status', 'doctor', 'up')`, "usage: pyoco nats {status,doctor,up} ...", "pyoco nats",
      "pass one of: `pyoco nats status`, `pyoco nats doctor`, `pyoco nats up`");
  },
};
export default command;

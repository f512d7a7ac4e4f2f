/**
 * `pyoco nats backup --out FILE` / `pyoco nats restore --in FILE [--confirm]`: every pyoco stream,
 * KV bucket and object store (every `*Stream`/`*Bucket` name in jetstream/names.ts, so new ones
 * are included) with configs, durable consumers and messages, in one JSON-lines file:
 *   {"kind":"pyoco-nats-backup","version":1,…}  {"kind":"stream",…}  {"kind":"msg",…}…  {"kind":"end",…}
 * Restore checks the whole file first (a truncated or foreign file changes nothing), refuses to
 * overwrite existing streams without --confirm, and recreates them with PYOCO_JS_REPLICAS.
 */
import { createReadStream, existsSync, renameSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { redactNatsUrl, resourceStreams, type DumpedMessage, type StreamDump } from "../jetstream/index.ts";
import { parseFlags, type CommandHelp } from "./args.ts";
import { CliFailure } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { connectCli, NATS_URL_FLAG } from "./nats.ts";

const FORMAT = "pyoco-nats-backup";
const VERSION = 1;
const BATCH = 256;

interface Progress { tick(n?: number): void; done(): void }

/** A one-line progress bar on stderr, redrawn at most every 100 ms. */
function progressBar(io: CliIo, label: string, total: number): Progress {
  let count = 0;
  let last = 0;
  const draw = () => {
    const width = 30;
    const filled = total > 0 ? Math.min(width, Math.round((count / total) * width)) : width;
    io.stderr(`\r${label.padEnd(30)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${count}/${total}`);
  };
  draw();
  return {
    tick(n = 1) { count += n; if (Date.now() - last > 100) { last = Date.now(); draw(); } },
    done() { draw(); io.stderr("\n"); },
  };
}

const b64 = (data: Uint8Array) => Buffer.from(data).toString("base64");

export async function backup(argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = {
    program: "pyoco nats backup", summary: "write every pyoco stream, KV bucket and object store (configs, consumers, messages) to one file",
    notes: ["Not a point-in-time snapshot across streams: stop gateways and workers for an exact copy.", "Restore with `pyoco nats restore --in FILE`."],
    examples: ["pyoco nats backup --out pyoco-backup.jsonl", "pyoco nats backup --out /backups/pyoco.jsonl --nats-url nats://10.0.0.1:4222,nats://10.0.0.2:4222"],
  };
  const p = parseFlags(argv, { ...NATS_URL_FLAG, out: { type: "string", value: "FILE", description: "the backup file to write (required)" } } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  if (!p.flags.out) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: --out is required", "no output file given", "pyoco nats backup --out pyoco-backup.jsonl");
  const out = resolve(io.cwd, p.flags.out);
  const { js, settings } = await connectCli(io, p.flags["nats-url"], "pyoco-nats-backup");
  const partial = `${out}.partial`;
  try {
    const dumps: StreamDump[] = [];
    for (const name of resourceStreams(js.names)) {
      const d = await js.backups.describe(name);
      if (d) dumps.push(d);
    }
    if (dumps.length === 0) throw new CliFailure("ERR-PYOCO-0031", "ERR-PYOCO-0031: nothing to back up", `no pyoco stream exists on ${redactNatsUrl(settings.natsUrl)}`, "check --nats-url / PYOCO_NATS_URL and the bucket settings");
    const file = Bun.file(partial).writer();
    const line = (o: unknown) => file.write(JSON.stringify(o) + "\n");
    const server = js.server();
    line({ kind: FORMAT, version: VERSION, created_at: new Date().toISOString(), source: { server: server.name, cluster: server.cluster },
      streams: dumps.map((d) => ({ name: d.name, messages: d.messages })) });
    let total = 0;
    for (const d of dumps) {
      line({ kind: "stream", name: d.name, config: d.config, consumers: d.consumers, messages: d.messages });
      const bar = progressBar(io, `backup ${d.name}`, d.messages);
      let n = 0;
      for await (const m of js.backups.messages(d.name)) {
        line({ kind: "msg", stream: d.name, subject: m.subject, ...(m.headers ? { headers: m.headers } : {}), data: b64(m.data) });
        n++;
        bar.tick();
      }
      bar.done();
      total += n;
      line({ kind: "stream_end", name: d.name, messages: n });
    }
    line({ kind: "end", streams: dumps.length, messages: total });
    await file.end();
    renameSync(partial, out);
    io.stdout(`backed up ${dumps.length} streams, ${total} messages to ${out}\n`);
    return 0;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally { await js.close(); }
}

interface BackupRecord { kind: string; [k: string]: unknown }

async function* records(path: string): AsyncGenerator<BackupRecord> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (!text.trim()) continue;
    let rec: BackupRecord;
    try { rec = JSON.parse(text); } catch { throw new BadBackup(`line ${n} is not JSON`); }
    if (!rec || typeof rec.kind !== "string") throw new BadBackup(`line ${n} has no kind`);
    yield rec;
  }
}

class BadBackup extends Error {}

/** Read the whole file once: header, streams, counts, and the end marker (a truncated file fails here). */
async function checkBackup(path: string): Promise<{ streams: StreamDump[]; messages: number }> {
  const streams: StreamDump[] = [];
  let first = true;
  let messages = 0;
  let ended = false;
  let current: { name: string; count: number } | null = null;
  for await (const r of records(path)) {
    if (first) {
      if (r.kind !== FORMAT) throw new BadBackup("not a pyoco NATS backup (first line)");
      if (r.version !== VERSION) throw new BadBackup(`backup format version ${String(r.version)} is not supported (expected ${VERSION})`);
      first = false;
      continue;
    }
    if (ended) throw new BadBackup("data after the end marker");
    if (r.kind === "stream") {
      if (typeof r.name !== "string" || typeof r.config !== "object") throw new BadBackup("a stream record without name or config");
      streams.push({ name: r.name, config: r.config as Record<string, unknown>, consumers: (r.consumers as Record<string, unknown>[]) ?? [], messages: 0 });
      current = { name: r.name, count: 0 };
    } else if (r.kind === "msg") {
      if (!current || r.stream !== current.name || typeof r.subject !== "string" || typeof r.data !== "string") throw new BadBackup("a message outside its stream");
      current.count++;
      messages++;
    } else if (r.kind === "stream_end") {
      if (!current || r.name !== current.name || r.messages !== current.count) throw new BadBackup(`stream ${String(r.name)} is incomplete`);
      streams[streams.length - 1]!.messages = current.count;
      current = null;
    } else if (r.kind === "end") {
      if (r.streams !== streams.length || r.messages !== messages) throw new BadBackup("the end marker does not match the content");
      ended = true;
    }
  }
  if (first) throw new BadBackup("the file is empty");
  if (!ended) throw new BadBackup("the file is truncated (no end marker)");
  return { streams, messages };
}

export async function restore(argv: string[], io: CliIo): Promise<number> {
  const help: CommandHelp = {
    program: "pyoco nats restore", summary: "recreate pyoco's streams, buckets and object stores from a backup file",
    notes: ["Meant for an empty server or cluster, with gateways and workers stopped. Streams that exist already are",
      "only replaced with --confirm. Replicas follow PYOCO_JS_REPLICAS on the target. Waiting jobs run once workers start."],
    examples: ["pyoco nats restore --in pyoco-backup.jsonl", "pyoco nats restore --in pyoco-backup.jsonl --confirm --nats-url nats://10.0.0.9:4222"],
  };
  const p = parseFlags(argv, {
    ...NATS_URL_FLAG,
    in: { type: "string", value: "FILE", description: "the backup file (required)" },
    confirm: { type: "boolean", description: "replace streams that exist on the target" },
  } as const, help);
  if (p.help) { io.stdout(p.text); return 0; }
  if (!p.flags.in) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: --in is required", "no backup file given", "pyoco nats restore --in pyoco-backup.jsonl");
  const path = resolve(io.cwd, p.flags.in);
  if (!existsSync(path)) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: backup file not found", path, "check the path given to --in");
  let plan: { streams: StreamDump[]; messages: number };
  try { plan = await checkBackup(path); } catch (err) {
    if (err instanceof BadBackup) throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: unusable backup file", `${path}: ${err.message}`, "use a complete file written by `pyoco nats backup`; nothing was changed");
    throw err;
  }
  const { js, settings } = await connectCli(io, p.flags["nats-url"], "pyoco-nats-restore");
  try {
    const existing: string[] = [];
    for (const s of plan.streams) {
      const d = await js.backups.describe(s.name);
      if (d) existing.push(`${s.name} (${d.messages} messages)`);
    }
    if (existing.length && !p.flags.confirm) {
      throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: the target is not empty", `${redactNatsUrl(settings.natsUrl)} already has ${existing.join(", ")}`,
        "restore onto an empty server, or add --confirm to replace these streams with the backup's");
    }
    const replicas = js.desiredReplicas();
    for (const s of plan.streams) await js.backups.recreate(s, replicas, p.flags.confirm);
    let current = "";
    let batch: DumpedMessage[] = [];
    let bar: ReturnType<typeof progressBar> | null = null;
    const flush = async () => { if (batch.length) { await js.backups.publish(batch); bar?.tick(batch.length); batch = []; } };
    for await (const r of records(path)) {
      if (r.kind === "stream") {
        await flush();
        bar?.done();
        current = r.name as string;
        bar = progressBar(io, `restore ${current}`, plan.streams.find((s) => s.name === current)!.messages);
      } else if (r.kind === "msg") {
        batch.push({ subject: r.subject as string, headers: r.headers as Record<string, string[]> | undefined, data: Buffer.from(r.data as string, "base64") });
        if (batch.length >= BATCH) await flush();
      }
    }
    await flush();
    bar?.done();
    io.stdout(`restored ${plan.streams.length} streams, ${plan.messages} messages (replicas ${replicas}) to ${redactNatsUrl(settings.natsUrl)}\n`);
    return 0;
  } finally { await js.close(); }
}

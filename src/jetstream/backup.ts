/**
 * Stream-level copy for `pyoco nats backup|restore`: read a stream's config, its consumers and
 * every stored message (subject, headers, data) in order, and write them back into a fresh
 * stream. Works for every kind of pyoco stream alike — the work queue (direct gets, so the
 * workers' durable consumers are untouched), KV buckets (KV_) and object stores (OBJ_).
 */
import { headers as natsHeaders } from "@nats-io/transport-node";
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { Connection } from "./connection.ts";
import { mapNatsError } from "./connection.ts";

export interface StreamDump {
  name: string;
  config: Record<string, unknown>;
  consumers: Record<string, unknown>[];
  messages: number;
}

export interface DumpedMessage {
  subject: string;
  /** Header name → values; absent when the message had none. */
  headers?: Record<string, string[]>;
  data: Uint8Array;
}

/** Config, consumers and message count of a stream, or null when it does not exist. */
export async function describeStream(conn: Connection, name: string): Promise<StreamDump | null> {
  try {
    const jsm = await conn.jsm();
    let info;
    try { info = await jsm.streams.info(name); } catch (err) {
      if ((err as { code?: number }).code === 10059) return null;
      throw err;
    }
    const consumers: Record<string, unknown>[] = [];
    for await (const ci of jsm.consumers.list(name)) {
      if (ci.config.durable_name) consumers.push({ ...ci.config } as Record<string, unknown>);
    }
    return { name, config: { ...info.config } as Record<string, unknown>, consumers, messages: info.state.messages };
  } catch (err) { throw mapNatsError(err, `describe ${name}`); }
}

/** Every stored message of a stream in sequence order (direct gets: no consumer is created). */
export async function* streamMessages(conn: Connection, name: string): AsyncGenerator<DumpedMessage> {
  const jsm = await conn.jsm();
  let seq = 1;
  for (;;) {
    let m;
    try {
      m = await jsm.streams.getMessage(name, { seq, next_by_subj: ">" } as unknown as { seq: number });
    } catch (err) { throw mapNatsError(err, `read ${name}`); }
    if (!m) return;
    const out: DumpedMessage = { subject: m.subject, data: m.data };
    if (m.header && m.header.keys().length) {
      out.headers = {};
      for (const k of m.header.keys()) out.headers[k] = m.header.values(k);
    }
    yield out;
    seq = m.seq + 1;
  }
}

/** Fields the server fills in or that a new stream must not carry over. */
const SERVER_FIELDS = ["sealed", "metadata"];

/**
 * Create the stream from a dump (replacing an existing one when `replace`), with `replicas`
 * replicas, then its durable consumers. Throws NatsUnavailableError on failure.
 */
export async function recreateStream(conn: Connection, dump: StreamDump, replicas: number, replace: boolean): Promise<void> {
  try {
    const jsm = await conn.jsm();
    if (replace) {
      try { await jsm.streams.delete(dump.name); } catch (err) { if ((err as { code?: number }).code !== 10059) throw err; }
    }
    const config = { ...dump.config, num_replicas: replicas } as Record<string, unknown>;
    for (const f of SERVER_FIELDS) delete config[f];
    await jsm.streams.add(config as Partial<StreamConfig> & { name: string });
    for (const c of dump.consumers) {
      const cfg = { ...c, num_replicas: 0 } as Record<string, unknown>;
      delete cfg.metadata;
      await jsm.consumers.add(dump.name, cfg as Partial<ConsumerConfig>);
    }
  } catch (err) { throw mapNatsError(err, `recreate ${dump.name}`); }
}

/** Publish dumped messages as they were (subject, headers, data), pipelined, in order of acknowledgement per batch. */
export async function publishMessages(conn: Connection, messages: DumpedMessage[]): Promise<void> {
  try {
    await Promise.all(messages.map((m) => {
      let h;
      if (m.headers) {
        h = natsHeaders();
        for (const [k, vs] of Object.entries(m.headers)) {
          // Stored with the message, but an expectation on the OLD stream (e.g. KV create's last sequence 0).
          if (k.toLowerCase().startsWith("nats-expected-")) continue;
          for (const v of vs) h.append(k, v);
        }
      }
      return conn.js.publish(m.subject, m.data, h ? { headers: h } : undefined);
    }));
  } catch (err) { throw mapNatsError(err, "restore publish"); }
}

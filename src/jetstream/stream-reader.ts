/**
 * Reading a limits stream (DLQ, task logs) with ordered consumers: a bounded range read that
 * stops at a known last sequence (no waiting for a pull to expire), and a live follow that pushes
 * every new message. Ordered consumers are ephemeral; the server removes them when idle.
 */
import { DeliverPolicy, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import { natsCall, type Connection } from "./connection.ts";

export interface StoredMessage {
  seq: number;
  subject: string;
  /** When the stream stored it (epoch seconds). */
  time: number;
  data: Uint8Array;
}

const FETCH_EXPIRES_MS = 1000;   // the client's minimum (toolchain.md §4.3)
const NO_MESSAGE = 10037;
const STREAM_NOT_FOUND = 10059;

/** A stream someone deleted reads as empty (it is recreated at the next start), not as an outage. */
function isMissing(err: unknown, ...codes: number[]): boolean {
  const code = (err as { code?: number }).code;
  return code !== undefined && [STREAM_NOT_FOUND, ...codes].includes(code);
}

function stored(m: JsMsg): StoredMessage {
  // ms precision, the same as StoredMsg.time of a direct get (the requeue run id hashes it)
  return { seq: m.seq, subject: m.subject, time: Number(m.timestampNanos / 1_000_000n) / 1000, data: m.data };
}

/** The stream's first/last sequence and message count. */
export async function streamState(conn: Connection, stream: string): Promise<{ first: number; last: number; messages: number }> {
  return natsCall(async () => {
    const info = await (await conn.jsm()).streams.info(stream);
    return { first: info.state.first_seq, last: info.state.last_seq, messages: info.state.messages };
  });
}

/** Sequence of the last message on `subject`, or 0 when there is none. */
export async function lastSeqOnSubject(conn: Connection, stream: string, subject: string): Promise<number> {
  return natsCall(async () => {
    try {
      const m = await (await conn.jsm()).streams.getMessage(stream, { last_by_subj: subject });
      return m?.seq ?? 0;
    } catch (err) {
      if (isMissing(err, NO_MESSAGE)) return 0;
      throw err;
    }
  });
}

/**
 * Visit messages with startSeq <= seq <= endSeq (on `subject` when given), oldest first.
 * `visit` returns false to stop early.
 */
export async function readRange(
  conn: Connection, stream: string, range: { startSeq: number; endSeq: number; subject?: string; batch?: number },
  visit: (m: StoredMessage) => boolean | void,
): Promise<void> {
  const start = Math.max(1, range.startSeq);
  if (start > range.endSeq) return;
  await natsCall(async () => {
    let consumer;
    try {
      consumer = await conn.js.consumers.get(stream, {
        deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start,
        ...(range.subject ? { filter_subjects: range.subject } : {}),
      });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    try {
      for (;;) {
        const batch = await consumer.fetch({ max_messages: range.batch ?? 256, expires: FETCH_EXPIRES_MS });
        let got = 0;
        let done = false;
        for await (const m of batch) {
          got++;
          if (m.seq > range.endSeq || visit(stored(m)) === false || m.seq >= range.endSeq || m.info.pending === 0) { done = true; break; }
        }
        if (done || got === 0) return;
      }
    } finally {
      await consumer.delete().catch(() => {});
    }
  });
}

export interface FollowHandle { stop(): void }

/** Push every message on `subject` with seq >= startSeq to `onMessage`, live, until stopped. */
export async function followSubject(conn: Connection, stream: string, subject: string, startSeq: number, onMessage: (m: StoredMessage) => void): Promise<FollowHandle> {
  let consumer;
  try {
    consumer = await natsCall(() => conn.js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startSeq), filter_subjects: subject,
    }));
  } catch (err) {
    if (isMissing((err as Error).cause ?? err)) return { stop() {} };
    throw err;
  }
  const messages: ConsumerMessages = await natsCall(() => consumer.consume({ max_messages: 256 }));
  let stopped = false;
  void (async () => {
    try { for await (const m of messages) { if (stopped) break; onMessage(stored(m)); } } catch { /* stopped or connection gone */ }
  })();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      void messages.close().catch(() => {});
      void consumer.delete().catch(() => {});
    },
  };
}

/** Dead-letter records (wire-contract.md §4.8) on `pyoco.dlq.<tag>`, expected stream PYOCO_DLQ. */
import { parseWireBytes, wireBytes } from "../domain/json.ts";
import { natsCall, type Connection } from "./connection.ts";
import type { ResourceNames } from "./names.ts";
import { lastSeqOnSubject, readRange, streamState, type StoredMessage } from "./stream-reader.ts";

/** Sequences read per window of a newest-first scan: the first window fits a default page, later ones double. */
const FIRST_WINDOW = 128;
const MAX_WINDOW = 8192;

export type DlqReason = "invalid_job" | "flow_not_found" | "invalid_workflow" | "execution_error" | "max_deliver_exceeded";

/** One stored DLQ message: where it sits and its decoded body (null when not a JSON object). */
export interface DlqMessage { seq: number; subject: string; receivedAt: number; record: Record<string, unknown> | null }

export class Dlq {
  constructor(private readonly conn: Connection, private readonly names: ResourceNames) {}

  /** Body layout: {reason, error, timestamp, ...payload}. Throws NatsUnavailableError; callers treat DLQ as best effort. */
  async publish(tag: string, reason: DlqReason, error: string, timestamp: number, payload: Record<string, unknown>): Promise<void> {
    const body = { reason, error, timestamp, ...payload };
    await natsCall(() => this.conn.js.publish(this.names.dlqSubject(tag), wireBytes(body), { expect: { streamName: this.names.dlqStream } }));
  }

  /** Messages in the DLQ stream. */
  async depth(): Promise<number> {
    return natsCall(async () => (await (await this.conn.jsm()).streams.info(this.names.dlqStream)).state.messages);
  }

  /**
   * Visit stored records oldest first, up to the last sequence at the time of the call (and below
   * `beforeSeq` when given); only subject `pyoco.dlq.<tag>` when `tag` is given.
   */
  async scan(opts: { tag?: string; beforeSeq?: number }, visit: (m: DlqMessage) => void): Promise<void> {
    this.conn.assertConnected();
    const state = await streamState(this.conn, this.names.dlqStream);
    if (state.messages === 0) return;
    const endSeq = opts.beforeSeq !== undefined ? Math.min(state.last, opts.beforeSeq - 1) : state.last;
    await readRange(this.conn, this.names.dlqStream, { startSeq: state.first, endSeq, subject: opts.tag ? this.names.dlqSubject(opts.tag) : undefined }, (m) => {
      visit(toDlqMessage(m));
    });
  }

  /**
   * Visit stored records newest first (below `beforeSeq` when given; only subject
   * `pyoco.dlq.<tag>` when `tag` is given) until `visit` returns false. The stream is read
   * backwards in windows that double in size, so a page of the newest records costs a window or
   * two however long the DLQ is (a full scan took 480 ms at 20,000 records). With a tag, reading
   * starts at that subject's last record, so no window waits for a message that never comes.
   */
  async scanNewestFirst(opts: { tag?: string; beforeSeq?: number }, visit: (m: DlqMessage) => boolean | void): Promise<void> {
    this.conn.assertConnected();
    const state = await streamState(this.conn, this.names.dlqStream);
    if (state.messages === 0) return;
    const subject = opts.tag ? this.names.dlqSubject(opts.tag) : undefined;
    let end = opts.beforeSeq !== undefined ? Math.min(state.last, opts.beforeSeq - 1) : state.last;
    if (subject) end = Math.min(end, await lastSeqOnSubject(this.conn, this.names.dlqStream, subject));
    let window = FIRST_WINDOW;
    while (end >= state.first) {
      const start = Math.max(state.first, end - window + 1);
      const chunk: DlqMessage[] = [];
      await readRange(this.conn, this.names.dlqStream, { startSeq: start, endSeq: end, subject }, (m) => { chunk.push(toDlqMessage(m)); });
      for (let i = chunk.length - 1; i >= 0; i--) if (visit(chunk[i]!) === false) return;
      end = start - 1;
      window = Math.min(window * 2, MAX_WINDOW);
    }
  }

  /** One record by sequence, or null when missing or deleted. */
  async get(seq: number): Promise<DlqMessage | null> {
    this.conn.assertConnected();
    return natsCall(async () => {
      try {
        const m = await (await this.conn.jsm()).streams.getMessage(this.names.dlqStream, { seq });
        if (!m) return null;
        return { seq: m.seq, subject: m.subject, receivedAt: m.time.getTime() / 1000, record: decodeRecord(m.data) };
      } catch (err) {
        if ((err as { code?: number }).code === 10037) return null;   // no message found
        throw err;
      }
    });
  }

  /** Remove one record; false when it was already gone. */
  async remove(seq: number): Promise<boolean> {
    this.conn.assertConnected();
    return natsCall(async () => {
      try { return await (await this.conn.jsm()).streams.deleteMessage(this.names.dlqStream, seq, false); } catch (err) {
        if ((err as { code?: number }).code === 10037) return false;
        throw err;
      }
    });
  }

  /** Read DLQ records from the start (tests, operators): at most `limit`, oldest first. */
  async read(limit = 100): Promise<{ subject: string; record: Record<string, unknown> }[]> {
    const out: { subject: string; record: Record<string, unknown> }[] = [];
    await this.scan({}, (m) => { if (out.length < limit && m.record) out.push({ subject: m.subject, record: m.record }); });
    return out;
  }
}

function toDlqMessage(m: StoredMessage): DlqMessage {
  return { seq: m.seq, subject: m.subject, receivedAt: m.time, record: decodeRecord(m.data) };
}

function decodeRecord(data: Uint8Array): Record<string, unknown> | null {
  try {
    const v = parseWireBytes(data);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch { return null; }
}

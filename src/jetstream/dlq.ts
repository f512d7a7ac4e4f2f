/** Dead-letter records (wire-contract.md §4.8) on `pyoco.dlq.<tag>`, expected stream PYOCO_DLQ. */
import { wireBytes } from "../domain/json.ts";
import { natsCall, type Connection } from "./connection.ts";
import type { ResourceNames } from "./names.ts";

export type DlqReason = "invalid_job" | "flow_not_found" | "invalid_workflow" | "execution_error" | "max_deliver_exceeded";

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

  /** Read DLQ records from the start (tests, operators): at most `limit`, oldest first. */
  async read(limit = 100): Promise<{ subject: string; record: Record<string, unknown> }[]> {
    return natsCall(async () => {
      const jsm = await this.conn.jsm();
      const info = await jsm.streams.info(this.names.dlqStream);
      const out: { subject: string; record: Record<string, unknown> }[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < limit; seq++) {
        try {
          const m = await jsm.streams.getMessage(this.names.dlqStream, { seq });
          if (m) out.push({ subject: m.subject, record: m.json() });
        } catch { /* deleted sequence */ }
      }
      return out;
    });
  }
}

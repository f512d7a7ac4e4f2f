/**
 * Task log lines (ours, docs/logs.md) on stream PYOCO_LOGS, subject `pyoco.logs.<run_id>`: one
 * message per line, the stream sequence is the line's id. Publishing is fire-and-forget for the
 * caller (the worker counts what could not be stored); reading is a bounded range read or a
 * live follow.
 */
import type { LogLine } from "../client/types.ts";
import { parseWireBytes, wireBytes } from "../domain/json.ts";
import { natsCall, type Connection } from "./connection.ts";
import type { ResourceNames } from "./names.ts";
import { followSubject, lastSeqOnSubject, readRange, type FollowHandle, type StoredMessage } from "./stream-reader.ts";

/** A line as published (the sequence is assigned by the stream). */
export type LogRecord = Omit<LogLine, "seq">;

export class TaskLogs {
  constructor(private readonly conn: Connection, private readonly names: ResourceNames) {}

  /** Store one line; resolves once the stream has it. Throws NatsUnavailableError. */
  async publish(runId: string, line: LogRecord): Promise<void> {
    await natsCall(() => this.conn.js.publish(this.names.logsSubject(runId), wireBytes(line), { expect: { streamName: this.names.logsStream } }));
  }

  /** Sequence of the run's last stored line, or 0. */
  lastSeq(runId: string): Promise<number> {
    this.conn.assertConnected();
    return lastSeqOnSubject(this.conn, this.names.logsStream, this.names.logsSubject(runId));
  }

  /** Lines with seq > sinceSeq up to `upToSeq` (default: the last stored now), at most `limit`, oldest first. */
  async read(runId: string, opts: { sinceSeq: number; limit: number; upToSeq?: number }): Promise<LogLine[]> {
    const endSeq = opts.upToSeq ?? await this.lastSeq(runId);
    const out: LogLine[] = [];
    if (endSeq <= opts.sinceSeq) return out;
    await readRange(this.conn, this.names.logsStream, { startSeq: opts.sinceSeq + 1, endSeq, subject: this.names.logsSubject(runId) }, (m) => {
      const line = decodeLine(m, runId);
      if (line) out.push(line);
      return out.length < opts.limit;
    });
    return out;
  }

  /** Every line with seq > afterSeq, pushed as it is stored, until stopped. */
  follow(runId: string, afterSeq: number, onLine: (line: LogLine) => void): Promise<FollowHandle> {
    this.conn.assertConnected();
    return followSubject(this.conn, this.names.logsStream, this.names.logsSubject(runId), afterSeq + 1, (m) => {
      const line = decodeLine(m, runId);
      if (line) onLine(line);
    });
  }
}

function decodeLine(m: StoredMessage, runId: string): LogLine | null {
  try {
    const v = parseWireBytes(m.data) as Partial<LogLine>;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
    return {
      ...v, seq: m.seq, run_id: typeof v.run_id === "string" ? v.run_id : runId, task: typeof v.task === "string" ? v.task : null,
      stream: v.stream ?? "stdout", level: typeof v.level === "string" ? v.level : null,
      message: typeof v.message === "string" ? v.message : String(v.message ?? ""), ts: typeof v.ts === "number" ? v.ts : m.time,
    };
  } catch { return null; }
}

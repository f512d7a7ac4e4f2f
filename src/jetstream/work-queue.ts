/**
 * The work queue (wire-contract.md §2–§3): publish jobs with the run id as message id, durable
 * pull consumers per tag, and per-tag queue figures. Callers see `Delivery`, never a JsMsg.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, ReplayPolicy, type Consumer, type JsMsg } from "@nats-io/jetstream";
import { wireBytes } from "../domain/json.ts";
import { mapNatsError, natsCall, type Connection } from "./connection.ts";
import { coalesced } from "../lib/async.ts";
import type { ResourceNames } from "./names.ts";

const NS_PER_SEC = 1_000_000_000;

export interface Delivery {
  subject: string;
  data: Uint8Array;
  /** JetStream delivery count: 1 on the first delivery. */
  deliveryCount: number;
  redelivered: boolean;
  streamSeq: number;
  ack(): Promise<void>;
  /** Redeliver after `delayMs` (default: at once). */
  nak(delayMs?: number): void;
  /** Never redeliver. On nats-server 2.9 a term reason is ignored, so none is sent (toolchain.md §4.3). */
  term(): void;
  /** In-progress acknowledgement: resets the AckWait timer. */
  working(): void;
}

export interface ConsumerSettings { ackWaitSec: number; maxDeliver: number; maxAckPending: number }

export interface TagQueueInfo {
  tag: string;
  /** Messages on the tag's subject not yet delivered. */
  waiting: number;
  /** Delivered, not yet acknowledged. */
  unacknowledged: number;
  /** Pull requests currently waiting at the server (workers idle-pulling). */
  pullsWaiting: number;
  consumerExists: boolean;
}

function toDelivery(m: JsMsg): Delivery {
  return {
    subject: m.subject,
    data: m.data,
    deliveryCount: m.info.deliveryCount,
    redelivered: m.redelivered,
    streamSeq: m.seq,
    ack: async () => { try { await m.ackAck(); } catch (err) { throw mapNatsError(err, "ack"); } },
    nak: (delayMs) => { try { m.nak(delayMs); } catch { /* connection gone: redelivered after AckWait anyway */ } },
    term: () => { try { m.term(); } catch { /* same */ } },
    working: () => { try { m.working(); } catch { /* same */ } },
  };
}

export class WorkQueue {
  #consumers = new Map<string, Consumer>();
  constructor(private readonly conn: Connection, readonly names: ResourceNames) {}

  /** Publish a job on `pyoco.work.<tag>`; `msgId` (the run id) makes a retried publish a no-op. */
  async publish(tag: string, job: object, msgId: string): Promise<{ seq: number; duplicate: boolean }> {
    this.conn.assertConnected();
    const ack = await natsCall(() => this.conn.failFastOnDisconnect(this.conn.js.publish(this.names.workSubject(tag), wireBytes(job), {
      msgID: msgId, expect: { streamName: this.names.workStream },
    })));
    return { seq: ack.seq, duplicate: ack.duplicate };
  }

  /** Publish raw bytes (tests and tools that inject malformed jobs). */
  async publishRaw(subject: string, data: Uint8Array): Promise<void> {
    await natsCall(() => this.conn.js.publish(subject, data, { expect: { streamName: this.names.workStream } }));
  }

  /**
   * Bind the durable `pyoco_workers_<tag>` as it is when it exists (decisions.md §3.12: an
   * operator's tuning is not overwritten); create it with our settings only when it does not.
   */
  async ensureConsumer(tag: string, s: ConsumerSettings): Promise<{ created: boolean }> {
    const name = this.names.consumerName(tag);
    return natsCall(async () => {
      const jsm = await this.conn.jsm();
      try { await jsm.consumers.info(this.names.workStream, name); return { created: false }; } catch (err) {
        if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
      }
      try {
        await jsm.consumers.add(this.names.workStream, {
          durable_name: name,
          filter_subject: this.names.workSubject(tag),
          deliver_policy: DeliverPolicy.All,
          ack_policy: AckPolicy.Explicit,
          replay_policy: ReplayPolicy.Instant,
          ack_wait: Math.round(s.ackWaitSec * NS_PER_SEC),
          max_deliver: s.maxDeliver,
          max_ack_pending: s.maxAckPending,
        });
        return { created: true };
      } catch (err) {
        // Another worker created it first: bind to theirs.
        await jsm.consumers.info(this.names.workStream, name);
        return { created: false };
      }
    });
  }

  async #consumer(tag: string): Promise<Consumer> {
    let c = this.#consumers.get(tag);
    if (!c) {
      c = await this.conn.js.consumers.get(this.names.workStream, this.names.consumerName(tag));
      this.#consumers.set(tag, c);
    }
    return c;
  }

  /** Pull one job for `tag`, waiting up to `expiresMs` (≥ 1000: NATS.js refuses less). Null when none came. */
  async next(tag: string, expiresMs: number): Promise<Delivery | null> {
    this.conn.assertConnected();
    try {
      const m = await (await this.#consumer(tag)).next({ expires: Math.max(1000, expiresMs) });
      return m ? toDelivery(m) : null;
    } catch (err) {
      this.#consumers.delete(tag);   // rebind next time (consumer or stream may have been recreated)
      throw mapNatsError(err, "pull");
    }
  }

  /** Per-tag queue figures from the stream's per-subject counts and consumer info. */
  /** Concurrent callers asking about the same tags share one read (see `coalesced`). */
  tagInfo(tags?: string[]): Promise<TagQueueInfo[]> {
    return this.#tagInfo(JSON.stringify([...(tags ?? [])].sort()));
  }

  readonly #tagInfo = coalesced((key: string) => this.#readTagInfo(JSON.parse(key) as string[]));

  async #readTagInfo(tags: string[]): Promise<TagQueueInfo[]> {
    return natsCall(async () => {
      const jsm = await this.conn.jsm();
      const info = await jsm.streams.info(this.names.workStream, { subjects_filter: `${this.names.workSubjectPrefix}.>` });
      const bySubject = (info.state.subjects ?? {}) as Record<string, number>;
      const found = new Set<string>(tags ?? []);
      const prefix = this.names.workSubjectPrefix + ".";
      for (const subject of Object.keys(bySubject)) if (subject.startsWith(prefix)) found.add(subject.slice(prefix.length));
      const consumerByTag = new Map<string, { pending: number; ackPending: number; waiting: number }>();
      for await (const ci of jsm.consumers.list(this.names.workStream)) {
        const filter = ci.config.filter_subject ?? "";
        if (!filter.startsWith(prefix)) continue;
        const tag = filter.slice(prefix.length);
        found.add(tag);
        consumerByTag.set(tag, { pending: ci.num_pending, ackPending: ci.num_ack_pending, waiting: ci.num_waiting });
      }
      return [...found].sort().map((tag) => {
        const c = consumerByTag.get(tag);
        const onSubject = bySubject[this.names.workSubject(tag)] ?? 0;
        return {
          tag,
          waiting: c ? c.pending : onSubject,
          unacknowledged: c ? c.ackPending : 0,
          pullsWaiting: c ? c.waiting : 0,
          consumerExists: Boolean(c),
        };
      });
    });
  }
}

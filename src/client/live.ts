/**
 * Live-operations calls on top of the gateway engineer's `PyocoHttpClient` (kept in this file so
 * api.ts stays theirs): watch a run (SSE), list/hide workers, queues, metrics.
 *
 *   const live = new LiveClient(new PyocoHttpClient({ server, apiKey }));
 *   for await (const ev of live.watch(runId, { lastEventId })) console.log(ev.event, ev.data);
 *   await live.workers({ scope: "all" });
 *
 * Errors are the client's: `HttpStatusError` (status >= 400) and `ConnectionError` (no answer,
 * or the stream dropped).
 */
import type { PyocoHttpClient } from "./api.ts";
import { ConnectionError } from "./errors.ts";
import { parseSse, sseJson } from "./sse.ts";

/** One watch event with its data decoded (non-JSON data → `{raw}`, the original CLI's rule). */
export interface WatchEvent {
  event: string;
  /** The last event id seen on this stream (a KV revision), if any. */
  id: string | null;
  data: any;
}

export interface WatchParams {
  records?: boolean;
  since?: number;
  timeoutSec?: number;
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string | null;
  signal?: AbortSignal;
}

export interface WorkersParams {
  scope?: string;
  state?: string;
  includeHidden?: boolean;
  limit?: number;
}

export class LiveClient {
  constructor(readonly http: PyocoHttpClient) {}

  /** `GET /runs/{id}/watch`: the events of one stream, until the server ends it. No read timeout. */
  async *watch(runId: string, p: WatchParams = {}): AsyncGenerator<WatchEvent> {
    const path = `/runs/${encodeURIComponent(runId)}/watch`;
    const res = await this.http.stream("GET", path, {
      query: { include: p.records ? "records" : undefined, since: p.since, timeout_sec: p.timeoutSec },
      headers: { accept: "text/event-stream", ...(p.lastEventId ? { "Last-Event-ID": p.lastEventId } : {}) },
      timeoutMs: 0,
      signal: p.signal,
    });
    try {
      for await (const m of parseSse(res.body!, p.signal)) yield { event: m.event, id: m.id ?? null, data: sseJson(m.data) };
    } catch (err) {
      if (p.signal?.aborted) throw err;
      throw new ConnectionError((err as Error).message, this.http.server + path, { cause: err });
    }
  }

  /** `GET /workers` (scope always sent, include_hidden only when set, as the original CLI does). */
  workers(p: WorkersParams = {}): Promise<Record<string, any>[]> {
    return this.http.request("GET", "/workers", {
      query: { scope: p.scope ?? "active", state: p.state, include_hidden: p.includeHidden ? "true" : undefined, limit: p.limit },
    });
  }

  /** `PATCH /workers/{id}` with `{"hidden": …}`. */
  patchWorkerHidden(workerId: string, hidden: boolean): Promise<Record<string, unknown>> {
    return this.http.request("PATCH", `/workers/${encodeURIComponent(workerId)}`, { json: { hidden } });
  }

  /** `GET /queues`. */
  queues(): Promise<{ items: Record<string, any>[] }> {
    return this.http.request("GET", "/queues");
  }

  /** `GET /metrics` as text. */
  async metrics(): Promise<string> {
    return (await this.http.stream("GET", "/metrics")).text();
  }
}

/**
 * The dashboard's gateway calls, on top of the shared `PyocoHttpClient` (src/client) and its
 * response types. Adds what only a browser page needs: the API key kept in localStorage, a
 * signal when the gateway answers 401 (the page then asks for a key), and "not available" for
 * optional endpoints that answer 404 on a gateway that does not have them yet.
 *
 *   const page = await api.dlqGroups();     // DlqGroupList, or throws
 *   isUnavailable(err)                      // true for a 404 of an optional endpoint
 */
import { PyocoHttpClient, type RequestOptions } from "../client/api.ts";
import { ConnectionError, HttpStatusError } from "../client/errors.ts";
import { LiveClient } from "../client/live.ts";
import { parseSse, sseJson } from "../client/sse.ts";
import type {
  DlqEntry, DlqGroupList, DlqGroupRequeueResult, DlqPage, DlqRequeueResult, LogLine, LogPage,
  WheelHistoryEvent, WheelInfo, YamlSchedule,
} from "../client/types.ts";
import type { RunSnapshot } from "../domain/run.ts";
import { t } from "./i18n.ts";
import { Store } from "./store.ts";

export interface AuthConfig { header: string; key: string }

const LS_HEADER = "pyoco.auth_header";
const LS_KEY = "pyoco.auth_key";
export const DEFAULT_AUTH_HEADER = "X-API-Key";

export interface RunPageOf<T> { items: T[]; next_cursor: string | null }
export type WorkerRecord = Record<string, any> & { worker_id: string };
export interface QueueRow { tag: string; workers: number; waiting: number; unacknowledged: number; pulls_waiting?: number }

function readStorage(key: string): string {
  try { return localStorage.getItem(key) ?? ""; } catch { return ""; }
}

function writeStorage(key: string, value: string): void {
  try { if (value) localStorage.setItem(key, value); else localStorage.removeItem(key); } catch { /* storage blocked */ }
}

/** Why the page wants a key: null (it does not), "missing" (401) or "refused" (403 invalid api key). */
export type AuthNeed = null | "missing" | "refused";

export class DashboardApi {
  #client: PyocoHttpClient;
  #live: LiveClient;
  auth: AuthConfig;
  /** Bumped when the key changes, so every panel reloads. */
  readonly authVersion = new Store(0);
  readonly authNeed = new Store<AuthNeed>(null);

  constructor(readonly server: string) {
    this.auth = { header: readStorage(LS_HEADER) || DEFAULT_AUTH_HEADER, key: readStorage(LS_KEY) };
    this.#client = this.#makeClient();
    this.#live = new LiveClient(this.#client);
  }

  #makeClient(): PyocoHttpClient {
    return new PyocoHttpClient({ server: this.server, apiKey: this.auth.key, apiKeyHeader: this.auth.header || DEFAULT_AUTH_HEADER });
  }

  setAuth(auth: AuthConfig): void {
    this.auth = { header: auth.header.trim() || DEFAULT_AUTH_HEADER, key: auth.key.trim() };
    writeStorage(LS_HEADER, this.auth.header === DEFAULT_AUTH_HEADER ? "" : this.auth.header);
    writeStorage(LS_KEY, this.auth.key);
    this.#client = this.#makeClient();
    this.#live = new LiveClient(this.#client);
    this.authNeed.set(null);
    this.authVersion.update((v) => v + 1);
  }

  /** 401 (no key) and 403 "invalid api key" (a wrong or revoked key) open the key prompt. */
  #unauthorized(err: unknown): never {
    if (err instanceof HttpStatusError) {
      if (err.status === 401) this.authNeed.set(this.auth.key ? "refused" : "missing");
      else if (err.status === 403 && err.detail === "invalid api key") this.authNeed.set("refused");
    }
    throw err;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    try { return await this.#client.request<T>(method, path, opts); } catch (err) { return this.#unauthorized(err); }
  }

  // ── runs ──
  listRuns(query: { updatedAfter: number; cursor?: string | null; limit: number }, signal?: AbortSignal): Promise<RunPageOf<RunSnapshot>> {
    return this.request("GET", "/runs", { query: { updated_after: query.updatedAfter, cursor: query.cursor ?? undefined, limit: query.limit }, signal });
  }

  getRun(runId: string, signal?: AbortSignal): Promise<RunSnapshot> {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}`, { query: { include: "records" }, signal });
  }

  cancelRun(runId: string): Promise<RunSnapshot> {
    return this.request("POST", `/runs/${encodeURIComponent(runId)}/cancel`, { json: {} });
  }

  /** The run's SSE watch (snapshot events), until the server ends it. */
  async *watchRun(runId: string, p: { since?: number; lastEventId?: string | null; signal: AbortSignal }) {
    try {
      yield* this.#live.watch(runId, { records: true, since: p.since, timeoutSec: 600, lastEventId: p.lastEventId, signal: p.signal });
    } catch (err) { this.#unauthorized(err); }
  }

  // ── task logs ──
  runLogs(runId: string, sinceSeq: number | null, signal?: AbortSignal): Promise<LogPage> {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}/logs`, { query: { since_seq: sinceSeq ?? undefined, limit: 1000 }, signal });
  }

  /** `GET /runs/{id}/logs/watch` (SSE): "log" events carry a LogLine, "end" closes the log. */
  async *watchLogs(runId: string, p: { sinceSeq: number | null; signal: AbortSignal }): AsyncGenerator<{ event: string; line?: LogLine; data: unknown }> {
    let res: Response;
    try {
      res = await this.#client.stream("GET", `/runs/${encodeURIComponent(runId)}/logs/watch`, {
        query: { since_seq: p.sinceSeq ?? undefined },
        headers: { accept: "text/event-stream", ...(p.sinceSeq !== null ? { "Last-Event-ID": String(p.sinceSeq) } : {}) },
        timeoutMs: 0, signal: p.signal,
      });
    } catch (err) { return this.#unauthorized(err); }
    for await (const m of parseSse(res.body!, p.signal)) {
      const data = sseJson(m.data);
      yield { event: m.event, data, line: m.event === "log" ? (data as LogLine) : undefined };
    }
  }

  // ── DLQ ──
  dlqGroups(signal?: AbortSignal): Promise<DlqGroupList> { return this.request("GET", "/dlq/groups", { signal }); }
  /** The newest entries, or only those of one group. */
  dlqEntries(fingerprint: string | null, signal?: AbortSignal): Promise<DlqPage> {
    return this.request("GET", "/dlq", { query: { limit: 100, fingerprint: fingerprint ?? undefined }, signal });
  }
  requeueEntry(seq: number): Promise<DlqRequeueResult> { return this.request("POST", `/dlq/${seq}/requeue`, { json: {} }); }
  requeueGroup(fingerprint: string): Promise<DlqGroupRequeueResult> {
    return this.request("POST", `/dlq/groups/${encodeURIComponent(fingerprint)}/requeue`, { json: {} });
  }

  // ── workers, queues, metrics ──
  workers(p: { state: string; includeHidden: boolean }, signal?: AbortSignal): Promise<WorkerRecord[]> {
    return this.request("GET", "/workers", {
      query: { scope: "all", state: p.state === "ALL" ? undefined : p.state, include_hidden: p.includeHidden ? "true" : undefined, limit: 200 }, signal,
    });
  }

  setWorkerHidden(workerId: string, hidden: boolean): Promise<WorkerRecord> {
    return this.request("PATCH", `/workers/${encodeURIComponent(workerId)}`, { json: { hidden } });
  }

  queues(signal?: AbortSignal): Promise<{ items: QueueRow[] }> { return this.request("GET", "/queues", { signal }); }

  async metrics(signal?: AbortSignal): Promise<string> {
    try { return await (await this.#client.stream("GET", "/metrics", { signal })).text(); } catch (err) { return this.#unauthorized(err); }
  }

  // ── wheels ──
  wheels(signal?: AbortSignal): Promise<WheelInfo[]> { return this.request("GET", "/wheels", { signal }); }
  wheelHistory(signal?: AbortSignal): Promise<WheelHistoryEvent[]> { return this.request("GET", "/wheels/history", { query: { limit: 50 }, signal }); }

  // ── schedules ──
  schedules(signal?: AbortSignal): Promise<YamlSchedule[]> { return this.request("GET", "/schedules", { signal }); }
  setSchedulePaused(scheduleId: string, paused: boolean): Promise<YamlSchedule> {
    return this.request("POST", `/schedules/${encodeURIComponent(scheduleId)}/${paused ? "pause" : "resume"}`, { json: {} });
  }
}

/** A 404 from an endpoint the gateway may not have yet (DLQ, logs, wheels, schedules). */
export function isUnavailable(err: unknown): boolean {
  return err instanceof HttpStatusError && (err.status === 404 || err.status === 405);
}

export function isNotFound(err: unknown): boolean {
  return err instanceof HttpStatusError && err.status === 404;
}

export function isAbort(err: unknown): boolean {
  return (err as { name?: string })?.name === "AbortError";
}

/** One line for the status bar or a panel: what went wrong, in the page's language. */
export function errorText(err: unknown): string {
  if (err instanceof HttpStatusError) {
    if (err.status === 401) return t("error.auth");
    if (err.status === 403 && err.detail === "invalid api key") return t("auth.refused");
    const detail = err.detail;
    const text = typeof detail === "string" ? detail : detail !== undefined ? JSON.stringify(detail) : err.body.slice(0, 200);
    return t("error.http", { status: String(err.status), detail: text || "-" });
  }
  if (err instanceof ConnectionError || err instanceof TypeError) return t("error.offline");
  return err instanceof Error ? err.message : String(err);
}

export type { DlqEntry, LogLine, WheelHistoryEvent, WheelInfo, YamlSchedule };

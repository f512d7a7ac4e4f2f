/**
 * Typed fetch client of the gateway (the methods of the original's `PyocoHttpClient`). Every
 * failure is typed: HttpStatusError (status ≥ 400), ConnectionError (no answer), InvalidResponseError
 * (a 2xx body that is not JSON), WaitTimeoutError.
 *
 *   const client = new PyocoHttpClient({ server: "http://127.0.0.1:8000" });
 *   const { run_id } = await client.submit({ flowName: "main", params: { x: 1 }, tag: "cpu" });
 *   const run = await client.getRun(run_id);
 */
import { isTerminal } from "../domain/run.ts";
import { sleep } from "../lib/async.ts";
import { ConnectionError, HttpStatusError, InvalidResponseError, WaitTimeoutError } from "./errors.ts";
import { parseSse, sseJson } from "./sse.ts";
import type {
  DlqDeleteResult, DlqEntry, DlqGroupList, DlqGroupRequeueResult, DlqPage, DlqRequeueResult, LogLine, LogPage,
} from "./types.ts";
import { sideEffect } from "../lib/dry-run.ts";

export interface ClientOptions {
  /** Gateway base URL; a trailing `/` is removed. */
  server: string;
  /** Sent only when non-empty. */
  apiKey?: string;
  /** @default "X-API-Key" */
  apiKeyHeader?: string;
  /** Per-request timeout for ordinary calls, in ms; 0 = none. @default 30000 */
  timeoutMs?: number;
}

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as a JSON body. */
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Overrides the client's timeout; 0 = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Response of POST /runs and POST /runs/yaml. */
export interface SubmitResponse { run_id: string; status: string; bundle_hash: string | null }

export type RunSnapshot = Record<string, unknown> & { run_id: string; status: string };

export interface ListFilters {
  status?: string;
  flow?: string;
  tag?: string;
  /** include=full: whole snapshots instead of the list view. */
  full?: boolean;
  limit?: number;
}

export interface ListVnextFilters extends ListFilters {
  updatedAfter?: number;
  cursor?: string;
  workflowYamlSha256?: string;
}

export interface RunPage { items: Record<string, unknown>[]; next_cursor: string | null }

/** Filters of GET /dlq and GET /dlq/groups (times are epoch seconds of when the DLQ stored the entry). */
export interface DlqFilters { reason?: string; tag?: string; flow?: string; since?: number; until?: number }
export interface DlqListFilters extends DlqFilters { fingerprint?: string; cursor?: string; limit?: number }

/** One event of GET /runs/{id}/logs/watch: a line, or the end of the stream. */
export type LogWatchEvent = { event: "log"; id: string | null; line: LogLine } | { event: string; id: string | null; data: unknown };

export class PyocoHttpClient {
  readonly server: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.server = opts.server.replace(/\/+$/, "");
    this.#headers = opts.apiKey ? { [opts.apiKeyHeader || "X-API-Key"]: opts.apiKey } : {};
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** One call; the parsed JSON body, or a typed error. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.stream(method, path, opts);
    const text = await res.text();
    if (text === "") return null as T;
    try { return JSON.parse(text) as T; } catch {
      throw new InvalidResponseError(`invalid JSON from ${method} ${path}: ${text.slice(0, 200)}`);
    }
  }

  /** One call; the raw Response once the status is known to be < 400 (streaming bodies, text). */
  async stream(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    sideEffect(`${method} ${path}`);
    const url = this.server + path + queryString(opts.query);
    const headers: Record<string, string> = { ...this.#headers, ...opts.headers };
    let body = opts.body;
    if (opts.json !== undefined) { body = JSON.stringify(opts.json); headers["content-type"] = "application/json"; }
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const signals = [opts.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => Boolean(s));
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (err) {
      throw connectionError(err, url, timeoutMs, opts.signal);
    }
    if (res.status >= 400) throw new HttpStatusError(res.status, method, new URL(url).pathname, await res.text().catch(() => ""));
    return res;
  }

  submit(input: { flowName: string; params?: Record<string, unknown>; tag?: string; tags?: string[] }): Promise<SubmitResponse> {
    const body: Record<string, unknown> = { flow_name: input.flowName, params: input.params ?? {} };
    if (input.tag !== undefined) body.tag = input.tag;
    if (input.tags?.length) body.tags = input.tags;
    return this.request("POST", "/runs", { json: body });
  }

  /** Upload a flow.yaml (file part `workflow`, named flow.yaml, type application/x-yaml). */
  submitYaml(input: { workflow: Uint8Array | string; flowName: string; tag?: string }): Promise<SubmitResponse> {
    const form = new FormData();
    form.append("workflow", new File([input.workflow as BlobPart], "flow.yaml", { type: "application/x-yaml" }));
    form.append("flow_name", input.flowName);
    if (input.tag !== undefined) form.append("tag", input.tag);
    return this.request("POST", "/runs/yaml", { body: form });
  }

  getRun(runId: string, opts: { includeRecords?: boolean } = {}): Promise<RunSnapshot> {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}`, { query: { include: opts.includeRecords ? "records" : undefined } });
  }

  tasks(runId: string): Promise<Record<string, unknown>> {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}/tasks`);
  }

  /** Legacy list (an array); if the server answers with a page, its items. */
  async list(f: ListFilters = {}): Promise<Record<string, unknown>[]> {
    const out = await this.request<unknown>("GET", "/runs", { query: listQuery(f) });
    if (Array.isArray(out)) return out as Record<string, unknown>[];
    if (out && typeof out === "object" && Array.isArray((out as RunPage).items)) return (out as RunPage).items;
    throw new InvalidResponseError("GET /runs returned neither a list nor a page");
  }

  /** vNext list: `{items, next_cursor}` (a legacy array answer is wrapped with next_cursor null). */
  async listVnext(f: ListVnextFilters = {}): Promise<RunPage> {
    const query = { ...listQuery(f), updated_after: f.updatedAfter, cursor: f.cursor, workflow_yaml_sha256: f.workflowYamlSha256 };
    const out = await this.request<unknown>("GET", "/runs", { query });
    if (Array.isArray(out)) return { items: out as Record<string, unknown>[], next_cursor: null };
    if (out && typeof out === "object" && Array.isArray((out as RunPage).items)) {
      const page = out as RunPage;
      return { items: page.items, next_cursor: page.next_cursor ?? null };
    }
    throw new InvalidResponseError("GET /runs returned neither a list nor a page");
  }

  /** Request cancellation; `reason` is recorded as cancel_reason. */
  cancel(runId: string, opts: { reason?: string } = {}): Promise<RunSnapshot> {
    return this.request("POST", `/runs/${encodeURIComponent(runId)}/cancel`, opts.reason !== undefined ? { json: { reason: opts.reason } } : {});
  }

  /**
   * Poll GET /runs/{id} every `intervalMs` until the status is terminal; WaitTimeoutError after
   * `timeoutMs` (the original's `cancel --wait`: 250 ms, max(1 s, timeout)).
   */
  async waitTerminal(runId: string, opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<RunSnapshot> {
    const deadline = Date.now() + Math.max(1000, opts.timeoutMs);
    for (;;) {
      const run = await this.getRun(runId);
      if (isTerminal(String(run.status ?? "").toUpperCase())) return run;
      if (Date.now() >= deadline) throw new WaitTimeoutError(runId);
      if (opts.signal?.aborted) throw new Error("interrupted");
      await sleep(Math.min(opts.intervalMs ?? 250, Math.max(0, deadline - Date.now())), opts.signal);
    }
  }

  // ── DLQ ──

  /** GET /dlq: newest first; pass next_cursor back as `cursor` for older entries. */
  listDlq(f: DlqListFilters = {}): Promise<DlqPage> {
    return this.request("GET", "/dlq", { query: { ...dlqQuery(f), fingerprint: f.fingerprint, cursor: f.cursor, limit: f.limit } });
  }

  /** GET /dlq/groups: entries grouped by fingerprint, most recent first. */
  dlqGroups(f: DlqFilters = {}): Promise<DlqGroupList> {
    return this.request("GET", "/dlq/groups", { query: dlqQuery(f) });
  }

  /** GET /dlq/{seq}: one entry with its params, flow.yaml and raw payload. */
  getDlq(seq: number): Promise<DlqEntry> {
    return this.request("GET", `/dlq/${seq}`);
  }

  /** POST /dlq/{seq}/requeue: idempotent; `created` is false when it was requeued before. */
  requeueDlq(seq: number): Promise<DlqRequeueResult> {
    return this.request("POST", `/dlq/${seq}/requeue`);
  }

  requeueDlqGroup(fingerprint: string): Promise<DlqGroupRequeueResult> {
    return this.request("POST", `/dlq/groups/${encodeURIComponent(fingerprint)}/requeue`);
  }

  deleteDlq(seq: number): Promise<DlqDeleteResult> {
    return this.request("DELETE", `/dlq/${seq}`);
  }

  deleteDlqGroup(fingerprint: string): Promise<DlqDeleteResult> {
    return this.request("DELETE", `/dlq/groups/${encodeURIComponent(fingerprint)}`);
  }

  // ── Task logs ──

  /** GET /runs/{id}/logs: lines oldest first, after `sinceSeq` when given. */
  logs(runId: string, opts: { sinceSeq?: number; limit?: number } = {}): Promise<LogPage> {
    return this.request("GET", `/runs/${encodeURIComponent(runId)}/logs`, { query: { since_seq: opts.sinceSeq, limit: opts.limit } });
  }

  /** GET /runs/{id}/logs/watch: lines as they are written, until the run has ended and its lines are sent. */
  async *watchLogs(runId: string, p: LogWatchParams = {}): AsyncGenerator<LogWatchEvent> {
    const path = `/runs/${encodeURIComponent(runId)}/logs/watch`;
    const res = await this.stream("GET", path, {
      query: { timeout_sec: p.timeoutSec },
      headers: { accept: "text/event-stream", ...(p.lastEventId ? { "Last-Event-ID": p.lastEventId } : {}) },
      timeoutMs: 0,
      signal: p.signal,
    });
    try {
      for await (const m of parseSse(res.body!, p.signal)) {
        const data = sseJson(m.data);
        yield m.event === "log" ? { event: "log", id: m.id ?? null, line: data as LogLine } : { event: m.event, id: m.id ?? null, data };
      }
    } catch (err) {
      if (p.signal?.aborted) throw err;
      throw new ConnectionError((err as Error).message, this.server + path, { cause: err });
    }
  }
}

export interface LogWatchParams {
  /** Resume after this line (sent as Last-Event-ID). */
  lastEventId?: string | null;
  timeoutSec?: number;
  signal?: AbortSignal;
}

function listQuery(f: ListFilters): Record<string, QueryValue> {
  return { status: f.status, flow: f.flow, tag: f.tag, include: f.full ? "full" : undefined, limit: f.limit };
}

function dlqQuery(f: DlqFilters): Record<string, QueryValue> {
  return { reason: f.reason, tag: f.tag, flow: f.flow, since: f.since, until: f.until };
}

function queryString(query?: Record<string, QueryValue>): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

function connectionError(err: unknown, url: string, timeoutMs: number, callerSignal?: AbortSignal): Error {
  if (callerSignal?.aborted) return err instanceof Error ? err : new Error(String(err));   // the caller stopped it
  const e = err as { name?: string; code?: string; message?: string };
  if (e?.name === "TimeoutError") return new ConnectionError(`timed out after ${timeoutMs / 1000} s (${url})`, url, { cause: err });
  if (e?.code === "ConnectionRefused" || e?.code === "ECONNREFUSED") return new ConnectionError(`connection refused (${url})`, url, { cause: err });
  return new ConnectionError(`${e?.code ? `${e.code}: ` : ""}${e?.message ?? String(err)} (${url})`, url, { cause: err });
}

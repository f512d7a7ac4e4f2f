/**
 * Process-wide HTTP metrics (request counter, submit latency histogram) and a small writer for
 * the Prometheus text exposition format 0.0.4.
 *
 *   httpMetrics.countRequest("/runs/:run_id", "GET", 200);
 *   observeSubmit(0.0031);                      // done by countRequests' hook for POST /runs[/yaml]
 *   const w = new PromWriter();
 *   w.metric("pyoco_dlq_depth", "gauge", "Messages in the DLQ stream.", [{ value: 3 }]);
 *   w.text();                                   // always ends with "\n"
 *
 * One registry per process: a gateway process serves one app, as the original does.
 */
import type { AnyElysia } from "elysia";
import { statusOf } from "./http-errors.ts";

/** Upper bounds (seconds) of the submit latency histogram; `+Inf` is implied. */
export const SUBMIT_BUCKETS_SEC = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export interface Sample {
  labels?: Record<string, string>;
  /** Appended to the metric name (`_bucket`, `_sum`, `_count`). */
  suffix?: string;
  value: number;
}

/** Escape a label value: backslash, double quote and newline (exposition format rules). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escape HELP text: backslash and newline. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go-style float text: integers without a fraction, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Builds an exposition body: every metric gets `# HELP` and `# TYPE` before its samples. */
export class PromWriter {
  #lines: string[] = [];

  metric(name: string, type: "gauge" | "counter" | "histogram", help: string, samples: Sample[]): this {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const s of samples) {
      const labels = s.labels && Object.keys(s.labels).length
        ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`
        : "";
      this.#lines.push(`${name}${s.suffix ?? ""}${labels} ${formatValue(s.value)}`);
    }
    return this;
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

interface Histogram { buckets: number[]; sum: number; count: number }

/** Counters and histograms kept in memory for the life of the process. */
export class HttpMetrics {
  readonly #requests = new Map<string, { route: string; method: string; status: string; count: number }>();
  readonly #submit: Histogram = { buckets: SUBMIT_BUCKETS_SEC.map(() => 0), sum: 0, count: 0 };

  /** Count one answered request; `route` is the route template (`/runs/:run_id`), never the raw path. */
  countRequest(route: string, method: string, status: number): void {
    const key = `${route}\u0000${method}\u0000${status}`;
    const entry = this.#requests.get(key);
    if (entry) entry.count++;
    else this.#requests.set(key, { route, method, status: String(status), count: 1 });
  }

  /** Record how long one accepted submit took (seconds). */
  observeSubmit(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const h = this.#submit;
    for (let i = 0; i < SUBMIT_BUCKETS_SEC.length; i++) if (seconds <= SUBMIT_BUCKETS_SEC[i]!) h.buckets[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** Append `pyoco_http_requests_total` and `pyoco_submit_duration_seconds` to `w`. */
  writeTo(w: PromWriter): void {
    const rows = [...this.#requests.values()].sort((a, b) =>
      a.route.localeCompare(b.route) || a.method.localeCompare(b.method) || a.status.localeCompare(b.status));
    w.metric("pyoco_http_requests_total", "counter", "HTTP requests answered by this gateway, by route template, method and status.",
      rows.map((r) => ({ labels: { route: r.route, method: r.method, status: r.status }, value: r.count })));
    const h = this.#submit;
    const samples: Sample[] = SUBMIT_BUCKETS_SEC.map((le, i) => ({ suffix: "_bucket", labels: { le: String(le) }, value: h.buckets[i]! }));
    samples.push({ suffix: "_bucket", labels: { le: "+Inf" }, value: h.count }, { suffix: "_sum", value: h.sum }, { suffix: "_count", value: h.count });
    w.metric("pyoco_submit_duration_seconds", "histogram", "Time to accept a run submit (snapshot write + job publish), in seconds.", samples);
  }
}

/** The process-wide registry the gateway's hooks and /metrics use. */
export const httpMetrics = new HttpMetrics();

/** Record one submit's duration in seconds (the request hook above already does this for POST /runs and /runs/yaml). */
export function observeSubmit(seconds: number): void {
  httpMetrics.observeSubmit(seconds);
}

/** Route label for requests that matched no route (keeps the label set bounded). */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * The status the gateway's error mapping (http-errors.ts) answers for a thrown error. Needed
 * because Elysia's after-response hook does not see the Response built by onError.
 */
export function statusOfError(code: unknown, error: unknown): number {
  // Elysia's own failures (no route, unparsable body, schema validation) never reach our mapping.
  if (code === "NOT_FOUND") return 404;
  if (code === "PARSE") return 400;
  if (code === "VALIDATION") return 422;
  return statusOf(error);
}

interface AfterResponseContext {
  request: Request;
  route?: string | null;
  set: { status?: number | string };
  response?: unknown;
  responseValue?: unknown;
  error?: unknown;
  code?: unknown;
}

/** Routes whose accepted requests (status 200) are observed as submits. */
export const SUBMIT_ROUTES: ReadonlySet<string> = new Set(["/runs", "/runs/yaml"]);

/**
 * Register the global hooks that count every answered request in `httpMetrics` and time every
 * accepted submit (POST /runs, POST /runs/yaml) into `pyoco_submit_duration_seconds`.
 * Register on the root app before any route: Elysia hooks only apply to routes added after them.
 */
export function countRequests<A extends AnyElysia>(app: A): A {
  const started = new WeakMap<Request, number>();
  return app
    .onRequest((ctx: { request?: Request }) => { if (ctx.request) started.set(ctx.request, performance.now()); })
    .onAfterResponse({ as: "global" }, (raw: unknown) => {
      const ctx = raw as AfterResponseContext;
      const route = ctx.route || UNMATCHED_ROUTE;
      let status: number;
      if (ctx.response instanceof Response) status = ctx.response.status;
      else if (ctx.responseValue instanceof Response) status = ctx.responseValue.status;
      else if (ctx.error !== undefined || ctx.code) status = statusOfError(ctx.code, ctx.error);
      else status = typeof ctx.set.status === "number" ? ctx.set.status : 200;
      httpMetrics.countRequest(route, ctx.request.method, status);
      const t0 = started.get(ctx.request);
      if (t0 !== undefined && status === 200 && ctx.request.method === "POST" && SUBMIT_ROUTES.has(route)) {
        httpMetrics.observeSubmit((performance.now() - t0) / 1000);
      }
    }) as A;
}

/**
 * `GET /workers` and `PATCH /workers/{worker_id}` (http-contract.md §1.4–§1.5, §3.4).
 *
 * Records are normalised and given their derived state: a record whose `last_seen_at` is older
 * than PYOCO_WORKER_DISCONNECT_TIMEOUT_SEC shows as DISCONNECTED (decisions.md §3.11). An empty
 * registry lists as `[]`, never 503 (decisions.md §3.1). PATCH is compare-and-set.
 */
import { NatsUnavailableError } from "../../domain/errors.ts";
import { deriveWorkerState, isAlive, normalizeWorkerRecord, WORKER_STATES, type WorkerRecord, type WorkerState } from "../../domain/worker-record.ts";
import type { PyocoJetStream } from "../../jetstream/index.ts";
import { visibleTo, type RoutePlugin } from "../route-context.ts";
import { HttpError, ok } from "../http-errors.ts";
import { Type } from "@sinclair/typebox";
import { defineRoute, type RouteValidators } from "../schema.ts";
import { isPlainObject, RequestValidationError } from "../validation.ts";

/** A normalised registry record with its derived display state. */
export interface WorkerView {
  record: WorkerRecord;
  state: WorkerState;
}

/** Every registry record, normalised, with its derived state (unparsable records skipped). */
export async function readWorkers(js: PyocoJetStream, now: number, disconnectTimeoutSec: number): Promise<WorkerView[]> {
  // Fail fast when NATS is down instead of waiting for the replay to give up.
  if (!js.connected) throw new NatsUnavailableError("disconnected");
  const out: WorkerView[] = [];
  for (const [key, entry] of await js.workers.all()) {
    if (!isPlainObject(entry.value)) continue;
    const record = normalizeWorkerRecord(entry.value, key);
    out.push({ record, state: deriveWorkerState(record, now, disconnectTimeoutSec) });
  }
  return out;
}

/** Number of alive (RUNNING/IDLE) workers per tag. */
export function aliveWorkersByTag(views: WorkerView[]): Map<string, number> {
  const byTag = new Map<string, number>();
  for (const v of views) {
    if (!isAlive(v.state)) continue;
    for (const tag of new Set(v.record.tags)) byTag.set(tag, (byTag.get(tag) ?? 0) + 1);
  }
  return byTag;
}

const WorkersQuery = Type.Object({
  scope: Type.Optional(Type.String({ description: "active (RUNNING/IDLE) or all (case-insensitive)" })),
  state: Type.Optional(Type.String({ description: "RUNNING|IDLE|STOPPED_GRACEFUL|DISCONNECTED (case-insensitive; empty = any)" })),
  include_hidden: Type.Boolean({ default: false, description: "include hidden workers" }),
  limit: Type.Integer({ default: 100, minimum: 1, maximum: 500, description: "maximum number of records" }),
});

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

/** One worker as GET /workers shows it: the normalised registry record plus its derived state. */
export const WorkerViewSchema = Type.Object({
  worker_id: Type.String(), instance_id: Type.String(),
  state: Type.Union(WORKER_STATES.map((s) => Type.Literal(s)), { description: "derived: a silent RUNNING/IDLE worker shows DISCONNECTED" }),
  hidden: Type.Boolean(), tags: Type.Array(Type.String()),
  last_seen_at: Type.Number(), last_heartbeat_at: Type.Number(), heartbeat_at: Type.Number(),
  current_run_id: NullableString, current_run_ids: Type.Optional(Type.Array(Type.String(), { description: "every run it executes now (additive)" })),
  last_run_id: NullableString, last_run_status: NullableString, last_run_started_at: NullableNumber, last_run_finished_at: NullableNumber,
  stopped_at: NullableNumber, stop_reason: NullableString, updated_at: Type.Number(),
  concurrency: Type.Optional(Type.Integer({ description: "runs at once (additive)" })),
  pyoco: Type.Optional(Type.Object({ impl: Type.String(), version: NullableString }, { description: "the Pyoco the runner loaded: real or double (additive)" })),
  python: Type.Optional(Type.String()),
  wheel_sync: Type.Optional(Type.Object({}, { additionalProperties: true })),
}, { additionalProperties: true, title: "Worker" });

const HiddenRequest = Type.Object({ hidden: Type.Union([Type.Boolean(), Type.Integer(), Type.String()], { description: "true/false (pydantic's lax booleans: 0/1, yes/no, on/off, …)" }) }, { title: "WorkerHiddenRequest" });
const HiddenResponse = Type.Object({ worker_id: Type.String(), hidden: Type.Boolean(), updated_at: Type.Number() }, { title: "WorkerHiddenResponse" });

const INVALID_WORKERS_REQUEST = "invalid workers request";

export interface WorkersFilter {
  scope: "active" | "all";
  state: WorkerState | null;
  includeHidden: boolean;
  limit: number;
}

/** Validate scope/state (case-insensitive; empty state = none) into a filter, or throw the fixed 422. */
export function workersFilter(q: { scope?: string; state?: string; include_hidden: boolean; limit: number }): WorkersFilter {
  const scope = (q.scope ?? "active").trim().toLowerCase();
  if (scope !== "active" && scope !== "all") throw new HttpError(422, INVALID_WORKERS_REQUEST);
  const rawState = (q.state ?? "").trim().toUpperCase();
  if (rawState !== "" && !(WORKER_STATES as readonly string[]).includes(rawState)) throw new HttpError(422, INVALID_WORKERS_REQUEST);
  return { scope, state: rawState === "" ? null : (rawState as WorkerState), includeHidden: q.include_hidden, limit: q.limit };
}

/** Filter (hidden → scope → state), sort by last_seen_at descending, truncate (§1.4 algorithm). */
export function selectWorkers(views: WorkerView[], f: WorkersFilter): Record<string, unknown>[] {
  return views
    .filter((v) => f.includeHidden || !v.record.hidden)
    .filter((v) => f.scope === "all" || isAlive(v.state))
    .filter((v) => f.state === null || v.state === f.state)
    .sort((a, b) => b.record.last_seen_at - a.record.last_seen_at || a.record.worker_id.localeCompare(b.record.worker_id))
    .slice(0, f.limit)
    .map((v) => ({ ...v.record, state: v.state, heartbeat_at: v.record.last_heartbeat_at }));
}

/** Marks a run the index does not know: never visible to a tenant. */
const UNKNOWN_TENANT = Symbol("unknown tenant");

/** The row with run ids the caller may not see replaced by null (lists: left out). */
export function hideForeignRunIds(row: Record<string, unknown>, visible: (runId: unknown) => boolean): Record<string, unknown> {
  const out = { ...row };
  for (const field of ["current_run_id", "last_run_id"]) {
    if (out[field] != null && !visible(out[field])) {
      out[field] = null;
      if (field === "last_run_id") out.last_run_status = null;
    }
  }
  if (Array.isArray(out.current_run_ids)) out.current_run_ids = out.current_run_ids.filter(visible);
  return out;
}

/** pydantic lax bool for the PATCH body: true/false, 0/1, and the usual words. */
function laxBool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["1", "true", "yes", "on", "t", "y"].includes(s)) return true;
    if (["0", "false", "no", "off", "f", "n"].includes(s)) return false;
  }
  return undefined;
}

async function readHiddenBody(route: RouteValidators<undefined, typeof HiddenRequest>, request: Request): Promise<boolean> {
  const body = await route.body(request);
  const hidden = laxBool(body.hidden);
  if (hidden === undefined) {
    throw new RequestValidationError([{ type: "bool_parsing", loc: ["body", "hidden"], msg: "Input should be a valid boolean, unable to interpret input", input: body.hidden }]);
  }
  return hidden;
}

/** `GET /workers`, `PATCH /workers/{id}`; in api_key mode both need a key (decisions.md §3.3; the original left them open). */
export const workersRoutes: RoutePlugin = (app, ctx) => {
  const { deps } = ctx;
  const list = defineRoute(ctx, {
    method: "get", path: "/workers", summary: "Workers with their derived state", tags: ["workers"], query: WorkersQuery,
    description: "Sorted by last_seen_at, newest first; an empty registry is []. A bad scope/state is 422 \"invalid workers request\".",
    responses: { 200: { description: "workers", schema: Type.Array(WorkerViewSchema) }, 422: { description: "invalid workers request, or a validation list" }, 503: { description: "nats unavailable: <reason>" } },
  });
  const patch = defineRoute(ctx, {
    method: "patch", path: "/workers/{worker_id}", summary: "Hide or show a worker in the default list", tags: ["workers"],
    pathParams: { worker_id: "worker id" }, body: HiddenRequest,
    responses: { 200: { description: "stored (compare-and-set)", schema: HiddenResponse }, 404: { description: "worker not found" }, 503: { description: "nats unavailable: <reason>" } },
  });
  return app
    .get("/workers", async ({ request }) => {
      const q = list.query(request);
      const filter = workersFilter(q);
      const caller = await ctx.authenticate(request);
      const views = await readWorkers(deps.js, deps.clock.now(), deps.settings.workerDisconnectTimeoutSec);
      const rows = selectWorkers(views, filter);
      if (caller === null) return ok(rows);
      // api_key mode: a worker serves every tenant; another tenant's run ids are not this caller's business.
      const visible = (runId: unknown) => typeof runId === "string" && visibleTo({ tenant_id: deps.index.summary(runId)?.tenant_id ?? UNKNOWN_TENANT }, caller);
      return ok(rows.map((row) => hideForeignRunIds(row, visible)));
    })
    .patch("/workers/:worker_id", async ({ params, request }) => {
      const hidden = await readHiddenBody(patch, request);
      await ctx.authenticate(request);
      const workerId = params.worker_id;
      const now = deps.clock.now();
      let found = false;
      await deps.js.workers.mutate(workerId, (current) => {
        found = current !== null;
        if (!current) return null;
        // §1.5: the stored state stays the normalised stored state, not the derived one.
        const record = normalizeWorkerRecord(isPlainObject(current) ? current : { worker_id: workerId }, workerId);
        return { ...record, heartbeat_at: record.last_heartbeat_at, hidden, updated_at: now };
      });
      if (!found) throw new HttpError(404, "worker not found");
      return ok({ worker_id: workerId, hidden, updated_at: now });
    });
};

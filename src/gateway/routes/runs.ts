/**
 * Run endpoints (http-contract.md §1.7–§1.11, §1.13): submit (JSON and flow.yaml), detail, tasks,
 * list (both shapes, served from the in-memory index), cancel (compare-and-set).
 * Order inside each handler follows the original: validate → authenticate → policy checks → NATS.
 */
import { NatsUnavailableError } from "../../domain/errors.ts";
import { isValidTag } from "../../domain/job.ts";
import { MAX_FLOW_NAME_LENGTH, MAX_TAG_LENGTH, findLoneSurrogate, hasLoneSurrogate, valueDepthExceeds } from "../../domain/limits.ts";
import type { RunSnapshot } from "../../domain/run.ts";
import { parseWorkflowYaml } from "../../domain/workflow-yaml.ts";
import { withDeadline } from "../../lib/async.ts";
import { visibleTo, type Caller, type RouteContext, type RoutePlugin } from "../route-context.ts";
import { HttpError, ok } from "../http-errors.ts";
import { decodeCursor, encodeCursor } from "../list-cursor.ts";
import { submitRun } from "../submit.ts";
import { defineRoute, validate, type RouteValidators } from "../schema.ts";
import { formFile, formText, isPlainObject, issue, parseJsonBody, readForm, RequestValidationError, type ValidationIssue } from "../validation.ts";
import {
  CANCEL_ROUTE, CancelRequest, DETAIL_ROUTE, LIST_ROUTE, ListQuery, RunSubmitRequest, SUBMIT_ROUTE, SUBMIT_YAML_ROUTE, TASKS_ROUTE,
} from "./run-schemas.ts";
import { cancelTransition, includesFull, includesRecords, runView, tasksView, withLiveness } from "./run-views.ts";

/** How long a list request waits for the index's initial replay before answering 503. */
const INDEX_WAIT_MS = 10_000;

export const runRoutes: RoutePlugin = (app, ctx) => {
  const submit = defineRoute(ctx, SUBMIT_ROUTE);
  defineRoute(ctx, SUBMIT_YAML_ROUTE);
  const list = defineRoute(ctx, LIST_ROUTE);
  const detail = defineRoute(ctx, DETAIL_ROUTE);
  defineRoute(ctx, TASKS_ROUTE);
  defineRoute(ctx, CANCEL_ROUTE);
  return app
    .post("/runs", ({ request }) => submitJson(ctx, submit, request), { parse: "none" })
    .post("/runs/yaml", ({ request }) => submitYaml(ctx, request), { parse: "none" })
    .get("/runs", ({ request }) => listRuns(ctx, list, request))
    .get("/runs/:run_id", async ({ request, params }) => {
      const query = detail.query(request);
      const snapshot = await loadRun(ctx, params.run_id, await ctx.authenticate(request));
      const view = includesRecords(query.include) ? snapshot : runView(snapshot);
      return ok(await withLiveness(ctx.deps, view));
    })
    .get("/runs/:run_id/tasks", async ({ request, params }) => {
      const snapshot = await loadRun(ctx, params.run_id, await ctx.authenticate(request));
      return ok(tasksView(params.run_id, snapshot));
    })
    .post("/runs/:run_id/cancel", ({ request, params }) => cancelRun(ctx, request, params.run_id), { parse: "none" });
};

/** The stored snapshot, or 404 when missing, deleted, not a valid key, or another tenant's. */
async function loadRun(ctx: RouteContext, runId: string, caller: Caller | null): Promise<RunSnapshot> {
  const found = await ctx.deps.js.runs.get(runId);
  if (!found || !isPlainObject(found.value) || !visibleTo(found.value, caller)) throw runNotFound(ctx, runId);
  return found.value;
}

function runNotFound(ctx: RouteContext, runId: string): HttpError {
  ctx.deps.log.info("run not found", { err_id: "ERR-PYOCO-0005", msg_id: "MSG-PYOCO-0005", run_id: runId });
  return new HttpError(404, "run not found");
}

export function badInput(ctx: RouteContext, detail: string, meta: Record<string, unknown>): HttpError {
  ctx.deps.log.info(detail, { err_id: "ERR-PYOCO-0002", msg_id: "MSG-PYOCO-0002", ...meta });
  return new HttpError(422, detail);
}

async function submitJson(ctx: RouteContext, route: RouteValidators<undefined, typeof RunSubmitRequest>, request: Request): Promise<Response> {
  const body = await route.body(request);
  const caller = await ctx.authenticate(request);
  return ok(await submitRun(ctx.deps, {
    flowName: body.flow_name, params: body.params ?? {}, tag: body.tag ?? ctx.deps.settings.defaultTag, tags: body.tags ?? [], caller,
  }));
}

/** A flow.yaml upload that passed the original's checks, in their order (tag → size → YAML → flow_name). */
export interface YamlUpload {
  tag: string;
  flowName: string;
  params: Record<string, unknown>;
  yaml: { text: string; sha256: string; bytes: number };
}

/** The checks shared by POST /runs/yaml and POST /schedules/yaml (after form validation and auth). */
export async function checkYamlUpload(ctx: RouteContext, file: File, flowNameRaw: string, tagRaw: string | undefined): Promise<YamlUpload> {
  const { settings } = ctx.deps;
  const tag = tagRaw?.trim() || settings.defaultTag;
  if (!isValidTag(tag)) throw badInput(ctx, "invalid tag", { tag: tag.slice(0, MAX_TAG_LENGTH) });
  if (file.size > settings.workflowYamlMaxBytes) {
    ctx.deps.log.info("workflow too large", { err_id: "ERR-PYOCO-0016", msg_id: "MSG-PYOCO-0016", size_bytes: file.size, max_bytes: settings.workflowYamlMaxBytes });
    throw new HttpError(413, "workflow too large");
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const parsed = parseWorkflowYaml(bytes, { checkGraphNames: true });
  if (!parsed.ok) {
    const err = badInput(ctx, "invalid workflow yaml", { reason: parsed.reason, tag });
    err.extra = { reason: parsed.reason, errors: parsed.problems };   // additive: why, and where (issue 13)
    throw err;
  }
  // Defaults become params: the same bounds as a JSON body (Python's json must decode the job).
  if (valueDepthExceeds(parsed.defaults) || findLoneSurrogate(parsed.defaults)) throw badInput(ctx, "invalid workflow yaml", { reason: "defaults nested too deeply or not valid unicode", tag });
  const flowName = flowNameRaw.trim();
  if (!flowName) throw badInput(ctx, "missing flow_name", { tag });
  if (flowName.length > MAX_FLOW_NAME_LENGTH || hasLoneSurrogate(flowName)) throw badInput(ctx, "invalid flow_name", { tag });
  return { tag, flowName, params: parsed.defaults, yaml: { text: new TextDecoder().decode(bytes), sha256: parsed.sha256, bytes: parsed.sizeBytes } };
}

async function submitYaml(ctx: RouteContext, request: Request): Promise<Response> {
  const form = await readForm(request);
  const issues: ValidationIssue[] = [];
  const file = formFile(form, "workflow", issues);
  const flowNameRaw = formText(form, "flow_name", issues, { required: true });
  const tagRaw = formText(form, "tag", issues, { required: false });
  if (issues.length) throw new RequestValidationError(issues);
  const caller = await ctx.authenticate(request);
  const upload = await checkYamlUpload(ctx, file!, flowNameRaw!, tagRaw);
  return ok(await submitRun(ctx.deps, {
    flowName: upload.flowName, params: upload.params, tag: upload.tag, tags: [upload.tag], caller,
    yaml: { ...upload.yaml, scheduleId: null },
  }));
}

async function listRuns(ctx: RouteContext, route: RouteValidators<typeof ListQuery, undefined>, request: Request): Promise<Response> {
  const { index, log } = ctx.deps;
  const search = new URL(request.url).searchParams;
  const q = route.query(request);
  const caller = await ctx.authenticate(request);
  // Shape selection (http-contract.md §1.11): the object iff updated_after or cursor is present, or sha is non-empty.
  const pageShape = q.updated_after !== undefined || search.has("cursor") || Boolean(q.workflow_yaml_sha256);
  const before = q.cursor ? decodeCursor(q.cursor) : undefined;
  if (before === null) {
    log.info("invalid list query", { err_id: "ERR-PYOCO-0017", msg_id: "MSG-PYOCO-0017", reason: "cursor" });
    throw new HttpError(422, "invalid list query");
  }
  await indexReady(ctx);

  const page = index.list({
    status: q.status || undefined, flow: q.flow || undefined, tag: q.tag || undefined,
    workflowYamlSha256: q.workflow_yaml_sha256 || undefined, scheduleId: q.schedule_id || undefined,
    updatedAfter: q.updated_after, before, tenantId: caller ? caller.tenantId : undefined, limit: q.limit,
  });
  const items = includesFull(q.include) ? await fullSnapshots(ctx, page.items) : page.items;
  if (!pageShape) return ok(items);
  return ok({ items, next_cursor: page.next ? encodeCursor(page.next) : null });
}

/** Wait for the run index's initial replay (503 when NATS is down or it takes too long). */
export async function indexReady(ctx: RouteContext): Promise<void> {
  const { index, js } = ctx.deps;
  if (!js.connected) throw new NatsUnavailableError("disconnected");
  if (!index.isReady) await withDeadline(index.ready, INDEX_WAIT_MS, "run index replay").catch(() => { throw new NatsUnavailableError("run index not ready"); });
}

/**
 * include=full fetches up to 200 snapshots per page, and NATS.js leaves about 7 KB of garbage per
 * KV get that the engine collects late: 1,500 list queries (320 of them include=full) took the
 * gateway from 150 to 265-270 MB, back to 140 MB 5 s later. Asking for an asynchronous collection
 * every 500 fetched snapshots kept the peak at 209 MB with the same list latency.
 */
const SNAPSHOTS_PER_GC_HINT = 500;
let fetchedSinceGcHint = 0;

/** Whole stored snapshots for a page of summaries (runs deleted meanwhile are left out). */
export async function fullSnapshots(ctx: RouteContext, summaries: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const found = await Promise.all(summaries.map((s) => ctx.deps.js.runs.get(String(s.run_id))));
  fetchedSinceGcHint += summaries.length;
  if (fetchedSinceGcHint >= SNAPSHOTS_PER_GC_HINT) {
    fetchedSinceGcHint = 0;
    Bun.gc(false);
  }
  return found.flatMap((f) => (f && isPlainObject(f.value) ? [f.value] : []));
}

async function cancelRun(ctx: RouteContext, request: Request, runId: string): Promise<Response> {
  const reason = await readCancelReason(request);
  const caller = await ctx.authenticate(request);
  let hidden = false;
  const stored = await ctx.deps.js.runs.mutate(runId, (current) => {
    if (!current || !isPlainObject(current)) return null;
    hidden = !visibleTo(current, caller);
    return hidden ? null : cancelTransition(current, { now: ctx.deps.clock.now(), caller, reason });
  });
  if (!stored || hidden || !isPlainObject(stored.value)) throw runNotFound(ctx, runId);
  ctx.deps.log.info("cancel requested", { run_id: runId, status: stored.value.status, reason: reason ?? undefined });
  return ok(runView(stored.value));
}

/**
 * The optional cancel body `{"reason": "…"}` (our addition; the original ignores any body). An
 * absent or empty body is fine; bodies that do not claim to be JSON are ignored as the original
 * did; a JSON body must be an object with a string reason.
 */
async function readCancelReason(request: Request): Promise<string | null | undefined> {
  const text = await request.text();
  if (text.trim() === "") return undefined;
  const claimsJson = (request.headers.get("content-type") ?? "").toLowerCase().includes("json");
  let value: unknown;
  try { value = parseJsonBody(text); } catch (err) {
    if (!claimsJson) return undefined;
    throw err;
  }
  if (!isPlainObject(value)) {
    if (!claimsJson) return undefined;
    throw new RequestValidationError([issue.modelType(["body"], value)]);
  }
  return validate(CancelRequest, value).reason;
}

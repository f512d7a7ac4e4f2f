/**
 * Schedule endpoints (http-contract.md §1.14, plus cron, pause/resume and a preview of the next
 * fire times). The dispatcher that fires them is ../scheduler.ts. Every read and write is scoped
 * to the caller's tenant like runs are (another tenant's schedule looks like 404).
 * Order inside POST follows the original: form validation → auth → tag → size → YAML →
 * flow_name → timing.
 */
import { isValidTimeZone, nextCronFire, parseCron } from "../../domain/cron.ts";
import { NatsUnavailableError, RevisionConflictError } from "../../domain/errors.ts";
import {
  buildScheduleRecord, compareSchedules, MISFIRE_POLICIES, parseScheduleDatetime, pauseRecord, resumeRecord, scheduleView,
  type MisfirePolicy, type ScheduleRecord, type ScheduleTiming, type Transition,
} from "../../domain/schedule.ts";
import { HttpError, ok } from "../http-errors.ts";
import { visibleTo, type Caller, type RouteContext, type RoutePlugin } from "../route-context.ts";
import { parseQueryWith } from "../schema.ts";
import { formFile, formText, issue, isPlainObject, readForm, RequestValidationError, type ValidationIssue } from "../validation.ts";
import { badInput, checkYamlUpload, fullSnapshots, indexReady } from "./runs.ts";
import { includesFull } from "./run-views.ts";
import { SCHEDULE_DOCS, SCHEDULE_FORM_TEXT_FIELDS, SCHEDULE_RUNS_QUERY, type ScheduleFormField } from "./schedule-schemas.ts";

export const scheduleRoutes: RoutePlugin = (app, ctx) => {
  for (const doc of SCHEDULE_DOCS) ctx.describe(doc);
  return app
    .post("/schedules/yaml", ({ request }) => createSchedule(ctx, request), { parse: "none" })
    .get("/schedules", ({ request }) => listSchedules(ctx, request))
    .get("/schedules/:schedule_id", async ({ request, params }) => {
      const { record } = await loadSchedule(ctx, params.schedule_id, await ctx.authenticate(request));
      return ok(view(ctx, record));
    })
    .get("/schedules/:schedule_id/runs", ({ request, params }) => scheduleRuns(ctx, request, params.schedule_id))
    .delete("/schedules/:schedule_id", async ({ request, params }) => {
      const id = params.schedule_id;
      await loadSchedule(ctx, id, await ctx.authenticate(request));
      await ctx.deps.js.schedules.delete(id);
      ctx.deps.log.info("schedule deleted", { schedule_id: id });
      return ok({ schedule_id: id, deleted: true });
    })
    .post("/schedules/:schedule_id/pause", ({ request, params }) => transition(ctx, request, params.schedule_id, pauseRecord), { parse: "none" })
    .post("/schedules/:schedule_id/resume", ({ request, params }) => transition(ctx, request, params.schedule_id, resumeRecord), { parse: "none" });
};

function view(ctx: RouteContext, record: ScheduleRecord): Record<string, unknown> {
  const lastRun = record.last_run_id ? ctx.deps.index.summary(record.last_run_id) : undefined;
  return scheduleView(record, typeof lastRun?.status === "string" ? lastRun.status : null);
}

function scheduleNotFound(ctx: RouteContext, id: string): HttpError {
  ctx.deps.log.info("schedule not found", { err_id: "ERR-PYOCO-0022", msg_id: "MSG-PYOCO-0022", schedule_id: id });
  return new HttpError(404, "schedule not found");
}

async function loadSchedule(ctx: RouteContext, id: string, caller: Caller | null): Promise<{ record: ScheduleRecord; revision: number }> {
  const found = await ctx.deps.js.schedules.get(id);
  if (!found || !isPlainObject(found.value) || !visibleTo(found.value, caller)) throw scheduleNotFound(ctx, id);
  return { record: found.value, revision: found.revision };
}

// ── POST /schedules/yaml ────────────────────────────────────────────────────────────────────

async function createSchedule(ctx: RouteContext, request: Request): Promise<Response> {
  const { clock, js, log } = ctx.deps;
  const form = await readForm(request);
  const issues: ValidationIssue[] = [];
  const file = formFile(form, "workflow", issues);
  const text = {} as Record<ScheduleFormField, string | undefined>;
  for (const name of SCHEDULE_FORM_TEXT_FIELDS) text[name] = formText(form, name, issues, { required: name === "flow_name" });
  // interval_seconds is a float form field in the original: a non-number is FastAPI's 422 list.
  let interval: number | undefined;
  if (text.interval_seconds !== undefined) {
    interval = pythonFloat(text.interval_seconds);
    if (interval === undefined) issues.push(issue.floatParsing(["body", "interval_seconds"], text.interval_seconds));
  }
  if (issues.length) throw new RequestValidationError(issues);
  const caller = await ctx.authenticate(request);
  const upload = await checkYamlUpload(ctx, file!, text.flow_name!, text.tag);

  const now = clock.now();
  const timing = scheduleTiming(ctx, { ...text, interval }, now);
  const misfire = (text.misfire_policy ?? "run_once").trim();
  if (!(MISFIRE_POLICIES as readonly string[]).includes(misfire)) throw badInput(ctx, `misfire_policy must be one of ${MISFIRE_POLICIES.join(", ")}`, { misfire_policy: misfire });

  const record = buildScheduleRecord({
    scheduleId: crypto.randomUUID(), flowName: upload.flowName, tag: upload.tag, workflowYaml: upload.yaml.text,
    sha256: upload.yaml.sha256, bytes: upload.yaml.bytes, params: upload.params,
    tenantId: caller?.tenantId ?? null, apiKeyId: caller?.apiKeyId ?? null, createdAt: now, timing, misfirePolicy: misfire as MisfirePolicy,
  });
  await js.schedules.create(record.schedule_id, record);
  log.info("schedule created", { schedule_id: record.schedule_id, schedule_type: record.schedule_type, flow_name: record.flow_name, tag: record.tag });
  ctx.deps.scheduler?.poke();
  return ok(view(ctx, record));
}

/** Which kind of schedule the form asks for, checked in the original's order, then ours (cron). */
function scheduleTiming(ctx: RouteContext, f: Partial<Record<ScheduleFormField, string>> & { interval?: number }, now: number): ScheduleTiming {
  const runAtRaw = f.run_at?.trim() ? f.run_at : undefined;   // a blank run_at counts as absent
  const cronRaw = f.cron?.trim() ? f.cron : undefined;
  const given = [runAtRaw, f.interval, cronRaw].filter((v) => v !== undefined).length;
  if (cronRaw === undefined && given !== 1) throw badInput(ctx, "specify either run_at or interval_seconds", {});
  if (given !== 1) throw badInput(ctx, "specify only one of run_at, interval_seconds or cron", {});
  if (f.timezone !== undefined && cronRaw === undefined) throw badInput(ctx, "timezone is only valid with cron", {});
  if (f.start_at !== undefined && f.interval === undefined) throw badInput(ctx, "start_at is only valid with interval_seconds", {});

  if (runAtRaw !== undefined) {
    const runAt = datetime(ctx, runAtRaw, "run_at");
    if (runAt <= now) throw badInput(ctx, "run_at must be in the future", { run_at: runAtRaw });
    return { type: "once", runAt };
  }
  if (f.interval !== undefined) {
    if (f.interval <= 0) throw badInput(ctx, "interval_seconds must be positive", { interval_seconds: String(f.interval) });
    if (!Number.isFinite(f.interval)) throw badInput(ctx, "interval_seconds must be a finite number", { interval_seconds: String(f.interval) });
    return { type: "interval", intervalSeconds: f.interval, startAt: f.start_at !== undefined ? datetime(ctx, f.start_at, "start_at") : undefined };
  }
  const parsed = parseCron(cronRaw!);
  if (!parsed.ok) throw badInput(ctx, parsed.reason, { cron: cronRaw });
  const timezone = f.timezone?.trim() || "UTC";
  if (!isValidTimeZone(timezone)) throw badInput(ctx, `unknown timezone: ${timezone} (use an IANA name such as Europe/Berlin)`, { timezone });
  if (nextCronFire(parsed.spec, timezone, now) === null) throw badInput(ctx, "cron expression never fires", { cron: cronRaw });
  return { type: "cron", cron: parsed.spec, timezone };
}

/** A float form value as pydantic reads it ("inf" and "nan" included), or undefined. */
function pythonFloat(raw: string): number | undefined {
  const t = raw.trim().toLowerCase();
  const special = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (special) return special[2] === "nan" ? NaN : (special[1] === "-" ? -Infinity : Infinity);
  const n = t === "" ? NaN : Number(t);
  return Number.isNaN(n) ? undefined : n;
}

function datetime(ctx: RouteContext, raw: string, field: "run_at" | "start_at"): number {
  const parsed = parseScheduleDatetime(raw, field);
  if (!parsed.ok) throw badInput(ctx, parsed.reason, { [field]: raw });
  return parsed.value;
}

// ── reads ───────────────────────────────────────────────────────────────────────────────────

async function listSchedules(ctx: RouteContext, request: Request): Promise<Response> {
  const caller = await ctx.authenticate(request);
  if (!ctx.deps.js.connected) throw new NatsUnavailableError("disconnected");
  const records: ScheduleRecord[] = [];
  for (const { value } of (await ctx.deps.js.schedules.all()).values()) {
    if (isPlainObject(value) && visibleTo(value, caller)) records.push(value);
  }
  return ok(records.sort(compareSchedules).map((r) => view(ctx, r)));
}

async function scheduleRuns(ctx: RouteContext, request: Request, id: string): Promise<Response> {
  const q = parseQueryWith(SCHEDULE_RUNS_QUERY, new URL(request.url).searchParams);
  const caller = await ctx.authenticate(request);
  await loadSchedule(ctx, id, caller);
  await indexReady(ctx);
  const page = ctx.deps.index.list({ scheduleId: id, tenantId: caller ? caller.tenantId : undefined, limit: q.limit });
  return ok(includesFull(q.include) ? await fullSnapshots(ctx, page.items) : page.items);
}

// ── pause / resume ──────────────────────────────────────────────────────────────────────────

async function transition(ctx: RouteContext, request: Request, id: string, change: (r: ScheduleRecord, now: number) => Transition): Promise<Response> {
  const caller = await ctx.authenticate(request);
  for (let attempt = 0; attempt < 20; attempt++) {
    const { record, revision } = await loadSchedule(ctx, id, caller);
    const result = change(record, ctx.deps.clock.now());
    if (!result.ok) throw new HttpError(409, result.reason);
    if (!result.changed) return ok(view(ctx, record));
    try {
      await ctx.deps.js.schedules.update(id, result.record, revision);
    } catch (err) {
      if (err instanceof RevisionConflictError) continue;   // a fire or another request wrote first
      throw err;
    }
    ctx.deps.log.info(`schedule ${String(result.record.status).toLowerCase()}`, { schedule_id: id });
    ctx.deps.scheduler?.poke();
    return ok(view(ctx, result.record));
  }
  throw new RevisionConflictError(id);   // 409 "concurrent update", practically never
}

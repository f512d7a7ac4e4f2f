/**
 * DLQ endpoints (ours; decisions.md "A DLQ you can use"): list, groups, show, idempotent
 * requeue (one entry or a group) and delete. Same auth as runs; in api_key mode an entry is
 * visible only to the tenant of its run (other tenants' entries look missing).
 *
 * Reads scan the DLQ stream (bounded by PYOCO_DLQ_MAX_MSGS) with an ordered consumer and keep
 * only what the answer needs: a page of entries, or one aggregate per group.
 */
import type { DlqDeleteResult, DlqEntry, DlqGroupRequeueResult, DlqPage, DlqRequeueResult } from "../../client/types.ts";
import {
  decodeDlqCursor, dlqListView, dlqMatches, DlqGrouper, encodeDlqCursor, requeueRunId, toDlqEntry, type DlqFilter,
} from "../../domain/dlq.ts";
import { RevisionConflictError } from "../../domain/errors.ts";
import { TAG_PATTERN } from "../../domain/job.ts";
import { parseWorkflowYaml } from "../../domain/workflow-yaml.ts";
import type { DlqMessage } from "../../jetstream/index.ts";
import { HttpError, ok } from "../http-errors.ts";
import type { Caller, RouteContext, RoutePlugin } from "../route-context.ts";
import { submitRun, type SubmitInput } from "../submit.ts";
import { parseQueryWith } from "../schema.ts";
import { isPlainObject } from "../validation.ts";
import { DLQ_DOCS, DLQ_FILTER_QUERY, DLQ_LIST_QUERY } from "./dlq-schemas.ts";

const FINGERPRINT = /^[0-9a-f]{16}$/;

export const dlqRoutes: RoutePlugin = (app, ctx) => {
  for (const doc of DLQ_DOCS) ctx.describe(doc);
  return app
    .get("/dlq", ({ request }) => listDlq(ctx, request))
    .get("/dlq/groups", ({ request }) => listGroups(ctx, request))
    .get("/dlq/:seq", async ({ request, params }) => {
      const seq = parseSeq(params.seq);
      const caller = await ctx.authenticate(request);
      const { entry } = await loadEntry(ctx, seq, caller);
      const runId = requeueRunId(ctx.deps.settings.dlqStream, entry);
      return ok({ ...entry, requeued_run_id: (await ctx.deps.js.runs.get(runId)) ? runId : null });
    })
    .post("/dlq/:seq/requeue", async ({ request, params }) => {
      const seq = parseSeq(params.seq);
      const caller = await ctx.authenticate(request);
      const loaded = await loadEntry(ctx, seq, caller);
      const result = await requeue(ctx, loaded.entry, caller);
      if (typeof result === "string") throw new HttpError(409, `dlq entry cannot be requeued: ${result}`);
      return ok(result);
    }, { parse: "none" })
    .post("/dlq/groups/:fingerprint/requeue", async ({ request, params }) => {
      const fingerprint = parseFingerprint(params.fingerprint);
      const caller = await ctx.authenticate(request);
      const entries = await groupEntries(ctx, fingerprint, caller);
      const requeued: DlqRequeueResult[] = [];
      for (const entry of entries) {
        const r = await requeue(ctx, entry, caller);
        requeued.push(typeof r === "string" ? { seq: entry.seq, run_id: "", status: "SKIPPED", created: false, detail: r } : r);
      }
      ctx.deps.log.info("dlq group requeued", { fingerprint, count: entries.length, created: requeued.filter((r) => r.created).length });
      return ok({ fingerprint, count: entries.length, requeued } satisfies DlqGroupRequeueResult);
    }, { parse: "none" })
    .delete("/dlq/:seq", async ({ request, params }) => {
      const seq = parseSeq(params.seq);
      const caller = await ctx.authenticate(request);
      await loadEntry(ctx, seq, caller);
      if (!(await ctx.deps.js.dlq.remove(seq))) throw entryNotFound();
      ctx.deps.log.info("dlq entry deleted", { seq });
      return ok({ seq, deleted: true } satisfies DlqDeleteResult);
    })
    .delete("/dlq/groups/:fingerprint", async ({ request, params }) => {
      const fingerprint = parseFingerprint(params.fingerprint);
      const caller = await ctx.authenticate(request);
      const entries = await groupEntries(ctx, fingerprint, caller);
      let deleted = 0;
      for (const e of entries) if (await ctx.deps.js.dlq.remove(e.seq)) deleted++;
      ctx.deps.log.info("dlq group deleted", { fingerprint, deleted });
      return ok({ fingerprint, deleted } satisfies DlqDeleteResult);
    });
};

const entryNotFound = () => new HttpError(404, "dlq entry not found");
const groupNotFound = () => new HttpError(404, "dlq group not found");

/** Sequences outside the integer form are simply not found (as run ids outside the key alphabet). */
function parseSeq(raw: string): number {
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw entryNotFound();
  return Number(raw);
}

function parseFingerprint(raw: string): string {
  if (!FINGERPRINT.test(raw)) throw groupNotFound();
  return raw;
}

/** undefined: auth off (every tenant); else only the caller's tenant. */
function tenantScope(caller: Caller | null): DlqFilter["tenantId"] {
  return caller === null ? undefined : caller.tenantId;
}

function asEntry(m: DlqMessage): DlqEntry {
  return toDlqEntry(m.seq, m.subject, m.receivedAt, m.record ?? {});
}

async function loadEntry(ctx: RouteContext, seq: number, caller: Caller | null): Promise<{ entry: DlqEntry }> {
  const m = await ctx.deps.js.dlq.get(seq);
  if (!m) throw entryNotFound();
  const entry = asEntry(m);
  if (!dlqMatches(entry, { tenantId: tenantScope(caller) })) throw entryNotFound();
  return { entry };
}

/** Marks entries whose requeue run exists (from the gateway's in-memory run index). */
function withRequeueState(ctx: RouteContext, entry: DlqEntry): DlqEntry {
  const runId = requeueRunId(ctx.deps.settings.dlqStream, entry);
  return { ...entry, requeued_run_id: ctx.deps.index.summary(runId) ? runId : null };
}

async function listDlq(ctx: RouteContext, request: Request): Promise<Response> {
  const q = parseQueryWith(DLQ_LIST_QUERY, new URL(request.url).searchParams);
  let beforeSeq: number | undefined;
  if (q.cursor !== undefined) {
    const decoded = decodeDlqCursor(q.cursor);
    if (decoded === null) throw new HttpError(422, "invalid dlq query");
    beforeSeq = decoded;
  }
  const caller = await ctx.authenticate(request);
  const filter: DlqFilter = {
    reason: q.reason || undefined, flow: q.flow || undefined, tag: q.tag || undefined, fingerprint: q.fingerprint || undefined,
    since: q.since, until: q.until, tenantId: tenantScope(caller),
  };
  // Newest first; stop at limit+1 matches (the extra one says "more").
  const newest: DlqEntry[] = [];
  await ctx.deps.js.dlq.scanNewestFirst({ tag: filter.tag, beforeSeq }, (m) => {
    const e = asEntry(m);
    if (dlqMatches(e, filter)) newest.push(e);
    return newest.length <= q.limit;
  });
  const more = newest.length > q.limit;
  const items = newest.slice(0, q.limit).map((e) => withRequeueState(ctx, dlqListView(e)));
  const page: DlqPage = { items, next_cursor: more && items.length ? encodeDlqCursor(items[items.length - 1]!.seq) : null };
  return ok(page);
}

async function listGroups(ctx: RouteContext, request: Request): Promise<Response> {
  const q = parseQueryWith(DLQ_FILTER_QUERY, new URL(request.url).searchParams);
  const caller = await ctx.authenticate(request);
  const filter: DlqFilter = { reason: q.reason || undefined, flow: q.flow || undefined, tag: q.tag || undefined, since: q.since, until: q.until, tenantId: tenantScope(caller) };
  const grouper = new DlqGrouper();
  await ctx.deps.js.dlq.scan({ tag: filter.tag }, (m) => {
    const e = asEntry(m);
    if (dlqMatches(e, filter)) grouper.add(e);
  });
  return ok({ items: grouper.groups().map((g) => ({ ...g, sample: withRequeueState(ctx, g.sample) })) });
}

async function groupEntries(ctx: RouteContext, fingerprint: string, caller: Caller | null): Promise<DlqEntry[]> {
  const out: DlqEntry[] = [];
  const filter: DlqFilter = { fingerprint, tenantId: tenantScope(caller) };
  await ctx.deps.js.dlq.scan({}, (m) => {
    const e = asEntry(m);
    if (dlqMatches(e, filter)) out.push(e);
  });
  if (out.length === 0) throw groupNotFound();
  return out;
}

/**
 * What to submit for an entry, or why it cannot be requeued. Params come from the record (our
 * workers store them) or else from the original run's snapshot; a flow.yaml run needs its text.
 */
async function requeueInput(ctx: RouteContext, entry: DlqEntry, caller: Caller | null): Promise<Omit<SubmitInput, "runId" | "extra"> | string> {
  if (!entry.flow_name) return "it holds no run (reason " + entry.reason + ")";
  const tag = entry.tag ?? ctx.deps.settings.defaultTag;
  if (!TAG_PATTERN.test(tag)) return `invalid tag ${JSON.stringify(tag)}`;
  let params = isPlainObject(entry.params) ? entry.params : undefined;
  let yaml: SubmitInput["yaml"];
  if (typeof entry.workflow_yaml === "string" && entry.workflow_yaml !== "") {
    const bytes = new TextEncoder().encode(entry.workflow_yaml);
    const parsed = parseWorkflowYaml(bytes);
    // An invalid flow.yaml is submitted as it was: the worker fails it again with the same reason.
    yaml = { text: entry.workflow_yaml, sha256: parsed.ok ? parsed.sha256 : String(entry.workflow_yaml_sha256 ?? ""), bytes: bytes.length, scheduleId: null };
  }
  if (params === undefined || (!yaml && entry.run_id)) {
    const original = entry.run_id ? await ctx.deps.js.runs.get(entry.run_id) : null;
    if (params === undefined && original && isPlainObject(original.value.params)) params = original.value.params as Record<string, unknown>;
    if (!yaml && original && typeof original.value.workflow_yaml_sha256 === "string" && original.value.workflow_yaml_sha256) {
      return "the flow.yaml of its run is not stored in the entry";
    }
  }
  if (params === undefined) return "its params are not stored (neither in the entry nor in the run)";
  const owner: Caller = caller ?? { tenantId: entry.tenant_id ?? null, apiKeyId: entry.api_key_id ?? null };
  return { flowName: entry.flow_name, params, tag, tags: entry.tags ?? [tag], caller: owner, yaml };
}

/** Requeue one entry; a second requeue of the same entry returns the first one's run. */
async function requeue(ctx: RouteContext, entry: DlqEntry, caller: Caller | null): Promise<DlqRequeueResult | string> {
  const runId = requeueRunId(ctx.deps.settings.dlqStream, entry);
  const existing = await ctx.deps.js.runs.get(runId);
  if (existing) return { seq: entry.seq, run_id: runId, status: String(existing.value.status), created: false };
  const input = await requeueInput(ctx, entry, caller);
  if (typeof input === "string") return input;
  try {
    const res = await submitRun(ctx.deps, {
      ...input, runId,
      extra: { requeued_from: entry.run_id, requeued_from_dlq: { seq: entry.seq, reason: entry.reason, fingerprint: entry.fingerprint } },
    });
    ctx.deps.log.info("dlq entry requeued", { seq: entry.seq, run_id: runId, requeued_from: entry.run_id ?? undefined });
    return { seq: entry.seq, run_id: res.run_id, status: res.status, created: true };
  } catch (err) {
    if (!(err instanceof RevisionConflictError)) throw err;
    // A concurrent requeue of the same entry created the run first.
    const now = await ctx.deps.js.runs.get(runId);
    return { seq: entry.seq, run_id: runId, status: String(now?.value.status ?? "PENDING"), created: false };
  }
}

/**
 * The wheel registry (http-contract.md §1.6): list, upload, download, delete, history.
 *
 * Uploads are streamed: the multipart body is read part by part and the wheel's bytes go
 * straight into the object store in 128 KiB chunks, so gateway memory stays flat whatever the
 * wheel's size. Check order is the original's (name → filename → tags → size → version policy),
 * with two deliberate differences, both about not reading a body we will refuse anyway:
 * authentication comes first (before form validation), and the version policy (409) is checked
 * before the bytes are read, so the size (413) is judged from Content-Length up front and
 * again while streaming.
 */
import { Type, type Static } from "@sinclair/typebox";
import {
  digestToHex, headerValue, parseWheelFilename, splitTagCsv, uploadConflict, WHEEL_NAME_PATTERN, WHEEL_TAG_PATTERN,
  WHEEL_TAGS_HEADER, wheelTagsFromHeaders,
} from "../../domain/wheel.ts";
import { NatsUnavailableError } from "../../domain/errors.ts";
import { WheelStoreFullError, WheelTooLargeError, type WheelObject } from "../../jetstream/index.ts";
import type { Caller, RouteContext, RoutePlugin } from "../route-context.ts";
import { HttpError, ok } from "../http-errors.ts";
import { MultipartError, MultipartReader } from "../multipart-stream.ts";
import { MULTIPART_OVERHEAD, peerAddress } from "../peer.ts";
import { parseQueryWith, queryParametersOf } from "../schema.ts";
import { issue, RequestValidationError } from "../validation.ts";
import { pathParam } from "./openapi.ts";

// ── Shapes (src/client/types.ts WheelInfo / WheelHistoryEvent) ──────────────────────────────

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const WheelInfoSchema = Type.Object({
  name: Type.String(),
  size_bytes: Type.Integer(),
  digest: Type.String({ description: "SHA-256=<base64url>" }),
  sha256_b64: Nullable(Type.String()),
  mtime: Type.String({ description: "ISO 8601 time of the upload" }),
  nuid: Type.String(),
  tags: Type.Array(Type.String()),
  sha256_hex: Type.Optional(Type.String({ description: "upload response only" })),
});
export type WheelInfo = Static<typeof WheelInfoSchema>;

const NullableString = Type.Union([Type.String(), Type.Null()]);
export const WheelHistoryEventSchema = Type.Object({
  event_id: Type.String(),
  occurred_at: Type.Number(),
  action: Type.Union([Type.Literal("upload"), Type.Literal("delete")]),
  wheel_name: Type.String(),
  tags: Type.Array(Type.String()),
  size_bytes: Type.Union([Type.Integer(), Type.Null()]),
  sha256_hex: NullableString,
  replace: Type.Union([Type.Boolean(), Type.Null()]),
  actor: Type.Object({ tenant_id: NullableString, api_key_id: NullableString }),
  source: Type.Object({
    remote_addr: NullableString, x_forwarded_for: NullableString, x_real_ip: NullableString,
    user_agent: NullableString, host: NullableString, scheme: NullableString,
  }),
});
export type WheelHistoryEvent = Static<typeof WheelHistoryEventSchema>;

const UploadFormSchema = Type.Object({
  wheel: Type.String({ format: "binary", description: "the .whl file (its file name is the object name)" }),
  replace: Type.Optional(Type.Boolean({ default: true })),
  tags: Type.Optional(Type.String({ description: "CSV of routing tags, each [A-Za-z0-9_-]+; none = every worker" })),
}, { required: ["wheel"] });

const HISTORY_QUERY = Type.Object({
  limit: Type.Integer({ default: 100, minimum: 1, maximum: 500, description: "maximum number of events" }),
  wheel_name: Type.Optional(Type.String({ description: "only events of this wheel file" })),
  action: Type.Optional(Type.String({ description: "upload or delete" })),
});

const WHEEL_NAME_PARAM = pathParam("wheel_name", "wheel file name, e.g. my_tasks-1.0.0-py3-none-any.whl");
/** Text fields are tiny; anything bigger is hostile. */
const FIELD_LIMIT = 64 * 1024;

function describeRoutes(ctx: RouteContext) {
  const tags = ["wheels"];
  ctx.describe({ method: "get", path: "/wheels", summary: "List the wheels in the registry", tags, responses: { 200: { description: "wheels sorted by name", schema: Type.Array(WheelInfoSchema) } } });
  ctx.describe({
    method: "post", path: "/wheels", summary: "Upload a wheel (streamed; only a strictly greater version of a package is accepted)", tags,
    requestBody: { contentType: "multipart/form-data", schema: UploadFormSchema },
    responses: {
      200: { description: "stored wheel", schema: WheelInfoSchema },
      409: { description: "version already exists or not greater than the latest" },
      413: { description: "wheel too large (PYOCO_WHEEL_MAX_BYTES)" },
      507: { description: "the object store is full" },
    },
  });
  ctx.describe({
    method: "get", path: "/wheels/history", summary: "Upload and delete events, newest first", tags, parameters: queryParametersOf(HISTORY_QUERY),
    responses: { 200: { description: "events", schema: Type.Array(WheelHistoryEventSchema) } },
  });
  ctx.describe({
    method: "get", path: "/wheels/{wheel_name}", summary: "Download a wheel", tags, parameters: [WHEEL_NAME_PARAM],
    responses: { 200: { description: "the wheel's bytes", contentType: "application/octet-stream", schema: { type: "string", format: "binary" } }, 404: { description: "wheel not found" } },
  });
  ctx.describe({
    method: "delete", path: "/wheels/{wheel_name}", summary: "Delete a wheel (workers uninstall it at their next sync)", tags, parameters: [WHEEL_NAME_PARAM],
    responses: { 200: { description: "deleted", schema: Type.Object({ name: Type.String(), deleted: Type.Boolean() }) }, 404: { description: "wheel not found" } },
  });
}

export const wheelRoutes: RoutePlugin = (app, ctx) => {
  describeRoutes(ctx);
  const uploading = new Set<string>();
  return app
    .get("/wheels", async ({ request }) => {
      await ctx.authenticate(request);
      const objects = (await ctx.deps.js.wheels.list()).filter((o) => WHEEL_NAME_PATTERN.test(o.name));
      objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return ok(objects.map(wheelInfo));
    })
    .post("/wheels", ({ request }) => upload(ctx, request, uploading), { parse: "none" })
    .get("/wheels/history", ({ request }) => history(ctx, request))
    .get("/wheels/:wheel_name", async ({ request, params }) => {
      await ctx.authenticate(request);
      const name = params.wheel_name;
      const found = WHEEL_NAME_PATTERN.test(name) ? await ctx.deps.js.wheels.open(name) : null;
      if (!found) throw new HttpError(404, "wheel not found");
      return new Response(found.data, {
        headers: {
          "content-type": "application/octet-stream",
          "content-disposition": `attachment; filename="${name}"`,
          "content-length": String(found.info.size),
        },
      });
    })
    .delete("/wheels/:wheel_name", async ({ request, params }) => {
      const caller = await ctx.authenticate(request);
      const name = params.wheel_name;
      const info = WHEEL_NAME_PATTERN.test(name) ? await ctx.deps.js.wheels.info(name) : null;
      if (!info || !(await ctx.deps.js.wheels.delete(name))) throw new HttpError(404, "wheel not found");
      ctx.deps.log.info("wheel deleted", { wheel_name: name, size_bytes: info.size });
      await appendHistory(ctx, request, caller, {
        action: "delete", wheel_name: name, tags: wheelTagsFromHeaders(info.headers), size_bytes: info.size,
        sha256_hex: headerValue(info.headers, "sha256") ?? digestToHex(info.digest), replace: null,
      });
      return ok({ name, deleted: true });
    });
};

export function wheelInfo(o: WheelObject): WheelInfo {
  const b64 = o.digest.startsWith("SHA-256=") ? o.digest.slice(8) : null;
  return { name: o.name, size_bytes: o.size, digest: o.digest, sha256_b64: b64, mtime: o.mtime, nuid: o.nuid, tags: wheelTagsFromHeaders(o.headers) };
}

function badInput(ctx: RouteContext, detail: string, meta: Record<string, unknown>): HttpError {
  ctx.deps.log.info(detail, { err_id: "ERR-PYOCO-0002", msg_id: "MSG-PYOCO-0002", ...meta });
  return new HttpError(422, detail);
}

const TRUE_WORDS = ["1", "true", "yes", "on", "t", "y"];
const FALSE_WORDS = ["0", "false", "no", "off", "f", "n"];

/** The form fields of an upload, as read so far (fields may come before or after the file). */
class UploadFields {
  replaceRaw: string | undefined;
  tagsRaw: string | undefined;

  set(name: string, value: string) {
    if (name === "replace" && value !== "") this.replaceRaw = value;   // FastAPI: an empty value is absent
    if (name === "tags" && value !== "") this.tagsRaw = value;
  }

  /** FastAPI bool form field (default true); a bad value is the pydantic 422 list. */
  replace(): boolean {
    if (this.replaceRaw === undefined) return true;
    const v = this.replaceRaw.trim().toLowerCase();
    if (TRUE_WORDS.includes(v)) return true;
    if (FALSE_WORDS.includes(v)) return false;
    throw new RequestValidationError([issue.boolParsing(["body", "replace"], this.replaceRaw)]);
  }

  tags(ctx: RouteContext, wheelName: string): string[] {
    const tags = splitTagCsv(this.tagsRaw);
    if (tags.some((t) => !WHEEL_TAG_PATTERN.test(t))) throw badInput(ctx, "invalid wheel tags", { wheel_name: wheelName, tags: this.tagsRaw });
    return tags;
  }
}

async function upload(ctx: RouteContext, request: Request, uploading: Set<string>): Promise<Response> {
  const { settings, log } = ctx.deps;
  const caller = await ctx.authenticate(request);
  const maxBytes = settings.wheelMaxBytes;
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (maxBytes > 0 && declared > maxBytes + MULTIPART_OVERHEAD) throw tooLarge(ctx, null, declared);

  const reader = MultipartReader.fromRequest(request);
  if (!reader) throw new RequestValidationError([issue.missing(["body", "wheel"], null)]);
  const fields = new UploadFields();
  let result: Response | null = null;
  try {
    for (let part = await reader.next(); part; part = await reader.next()) {
      if (part.name === "wheel" && part.filename !== null && result === null) {
        result = await storeWheel(ctx, request, caller, reader, part.filename, part.contentType, fields, uploading);
      } else if (part.name === "wheel" && part.filename === null && result === null) {
        const text = await reader.text(FIELD_LIMIT);
        throw new RequestValidationError([text === "" ? issue.missing(["body", "wheel"], null) : issue.expectedUpload(["body", "wheel"], text)]);
      } else if (part.filename === null && (part.name === "replace" || part.name === "tags")) {
        fields.set(part.name, await reader.text(FIELD_LIMIT));
      }
    }
  } catch (err) {
    await reader.cancel();
    if (err instanceof MultipartError) {
      log.info("unreadable wheel upload body", { reason: err.message });
      throw new HttpError(400, "There was an error parsing the body");
    }
    throw err;
  }
  if (!result) {
    fields.replace();   // a bad replace value is reported with the missing file, as FastAPI does
    throw new RequestValidationError([issue.missing(["body", "wheel"], null)]);
  }
  return result;
}

function tooLarge(ctx: RouteContext, wheelName: string | null, size: number): HttpError {
  ctx.deps.log.info("wheel too large", { err_id: "ERR-PYOCO-0002", msg_id: "MSG-PYOCO-0002", wheel_name: wheelName, size_bytes: size, max_bytes: ctx.deps.settings.wheelMaxBytes });
  return new HttpError(413, "wheel too large");
}

async function storeWheel(
  ctx: RouteContext, request: Request, caller: Caller | null, reader: MultipartReader, name: string, contentType: string | null,
  fields: UploadFields, uploading: Set<string>,
): Promise<Response> {
  const { js, settings, log } = ctx.deps;
  if (!WHEEL_NAME_PATTERN.test(name)) throw badInput(ctx, "invalid wheel name", { wheel_name: name });
  const parsed = parseWheelFilename(name);
  if (!parsed) throw badInput(ctx, "invalid wheel filename", { wheel_name: name });
  fields.tags(ctx, name);
  const replaceEarly = fields.replace();

  // One upload per package at a time in this gateway, so two racing uploads cannot both pass the version policy.
  if (uploading.has(parsed.name)) throw new HttpError(409, "another upload of this package is in progress; retry");
  uploading.add(parsed.name);
  try {
    const existing = await js.wheels.list();
    const conflict = uploadConflict(parsed, existing.map((o) => o.name));
    if (conflict?.kind === "same_version") {
      log.info("wheel version already exists", { wheel_name: name, existing: conflict.existing });
      throw new HttpError(409, "wheel version already exists; bump version");
    }
    if (conflict?.kind === "not_greater") {
      log.info("wheel version not greater than latest", { wheel_name: name, latest: conflict.latest });
      throw new HttpError(409, "wheel version must be greater than existing latest version");
    }
    const exists = existing.some((o) => o.name === name);
    if (!replaceEarly && exists) throw new HttpError(409, "wheel already exists");

    let tags: string[] = [];
    let replace = replaceEarly;
    const stored = await js.wheels.put(name, reader.data(), {
      maxBytes: settings.wheelMaxBytes,
      // Fields sent after the file are read before the object becomes visible.
      headers: async () => {
        for (let part = await reader.next(); part; part = await reader.next()) {
          if (part.filename === null && (part.name === "replace" || part.name === "tags")) fields.set(part.name, await reader.text(FIELD_LIMIT));
        }
        tags = fields.tags(ctx, name);
        replace = fields.replace();
        if (!replace && exists) throw new HttpError(409, "wheel already exists");
        return { "content-type": contentType || "application/octet-stream", ...(tags.length ? { [WHEEL_TAGS_HEADER]: tags.join(",") } : {}) };
      },
    }).catch((err) => {
      if (err instanceof WheelTooLargeError) throw tooLarge(ctx, name, err.maxBytes + 1);
      if (err instanceof WheelStoreFullError) {
        log.warn("wheel store full", { wheel_name: name, reason: err.message });
        throw new HttpError(507, `${err.message}; delete old wheels or raise PYOCO_WHEEL_MAX_BYTES on a new store`);
      }
      throw err;
    });
    log.info("wheel uploaded", { wheel_name: name, size_bytes: stored.size, tags });
    await appendHistory(ctx, request, caller, { action: "upload", wheel_name: name, tags, size_bytes: stored.size, sha256_hex: stored.sha256Hex, replace });
    return ok({ ...wheelInfo(stored), tags, sha256_hex: stored.sha256Hex });
  } finally {
    uploading.delete(parsed.name);
  }
}

async function appendHistory(
  ctx: RouteContext, request: Request, caller: Caller | null,
  e: Pick<WheelHistoryEvent, "action" | "wheel_name" | "tags" | "size_bytes" | "sha256_hex" | "replace">,
): Promise<void> {
  const now = ctx.deps.clock.now();
  const eventId = crypto.randomUUID().replaceAll("-", "");
  const h = request.headers;
  const event: WheelHistoryEvent = {
    event_id: eventId, occurred_at: now, action: e.action, wheel_name: e.wheel_name, tags: e.tags,
    size_bytes: e.size_bytes, sha256_hex: e.sha256_hex, replace: e.replace,
    actor: { tenant_id: caller?.tenantId ?? null, api_key_id: caller?.apiKeyId ?? null },
    source: {
      remote_addr: peerAddress(request), x_forwarded_for: h.get("x-forwarded-for"), x_real_ip: h.get("x-real-ip"),
      user_agent: h.get("user-agent"), host: h.get("host"), scheme: new URL(request.url).protocol.replace(":", "") || null,
    },
  };
  const key = `${String(Math.floor(now * 1000)).padStart(13, "0")}_${eventId}`;
  try {
    await ctx.deps.js.wheelHistory.put(key, event);
  } catch (err) {
    ctx.deps.log.warn("wheel history append failed", { wheel_name: e.wheel_name, action: e.action, err });
  }
}

async function history(ctx: RouteContext, request: Request): Promise<Response> {
  const q = parseQueryWith(HISTORY_QUERY, new URL(request.url).searchParams);
  await ctx.authenticate(request);
  const wheelName = q.wheel_name;
  if (wheelName !== undefined && !WHEEL_NAME_PATTERN.test(wheelName)) throw badInput(ctx, "invalid wheel name", { wheel_name: wheelName });
  const action = q.action === undefined || q.action === "" ? undefined : q.action.trim().toLowerCase();
  if (action !== undefined && action !== "upload" && action !== "delete") throw badInput(ctx, "invalid action", { action: q.action });
  if (!ctx.deps.js.connected) throw new NatsUnavailableError("disconnected");
  const events: WheelHistoryEvent[] = [];
  for (const entry of (await ctx.deps.js.wheelHistory.all()).values()) {
    const v = entry.value as Partial<WheelHistoryEvent>;
    if (!v || typeof v !== "object" || typeof v.occurred_at !== "number") continue;
    if (wheelName !== undefined && v.wheel_name !== wheelName) continue;
    if (action !== undefined && v.action !== action) continue;
    events.push(v as WheelHistoryEvent);
  }
  events.sort((a, b) => (b.occurred_at - a.occurred_at) || (a.event_id < b.event_id ? 1 : a.event_id > b.event_id ? -1 : 0));
  return ok(events.slice(0, q.limit));
}

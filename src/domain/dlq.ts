/**
 * DLQ rules without I/O: how a stored record becomes a `DlqEntry`, the grouping fingerprint
 * (reason + flow + error with the varying parts folded), filters, grouping, and the run id a
 * requeue creates. The run id is derived from the entry, so requeuing the same entry twice
 * (double click, retried request, two gateways) targets the same run id and the create-only
 * snapshot write lets exactly one of them through.
 */
import { createHash } from "node:crypto";
import type { DlqEntry, DlqGroup } from "../client/types.ts";

/** Record fields too big for list views; GET /dlq/{seq} shows them. */
export const DLQ_BULKY_FIELDS = ["params", "workflow_yaml", "payload"] as const;

const MAX_PATTERN_CHARS = 500;

/**
 * The error with what varies between occurrences of "the same" failure folded: UUIDs, long hex
 * ids, file paths, quoted numbers and plain numbers; whitespace collapsed.
 */
export function normaliseError(error: string | null | undefined): string {
  if (!error) return "";
  return error
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<id>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]{12,}\b/gi, "<hex>")
    .replace(/(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?/g, "<path>")
    .replace(/\d+(?:\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_PATTERN_CHARS);
}

/** Stable group key: 16 hex characters of sha256(reason, flow_name, normalised error). */
export function dlqFingerprint(reason: string, flowName: string | null, error: string | null): string {
  return createHash("sha256").update(`${reason}\u0000${flowName ?? ""}\u0000${normaliseError(error)}`).digest("hex").slice(0, 16);
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A stored DLQ message as an entry (`record` is the decoded body; anything else passes through). */
export function toDlqEntry(seq: number, subject: string, receivedAt: number, record: Record<string, unknown>): DlqEntry {
  const reason = str(record.reason) ?? "unknown";
  const flowName = str(record.flow_name);
  const error = typeof record.error === "string" ? record.error : record.error == null ? null : String(record.error);
  const tag = str(record.tag) ?? (subject.split(".").pop() || null);
  return {
    ...record,
    seq, subject, received_at: receivedAt,
    fingerprint: dlqFingerprint(reason, flowName, error),
    reason, error,
    timestamp: num(record.timestamp),
    run_id: str(record.run_id),
    flow_name: flowName,
    tag,
    tags: Array.isArray(record.tags) ? record.tags.filter((t): t is string => typeof t === "string") : tag ? [tag] : [],
    tenant_id: str(record.tenant_id),
    api_key_id: str(record.api_key_id),
    worker_id: str(record.worker_id),
  };
}

/** The list view of an entry: bulky fields left out (their sizes stay visible where known). */
export function dlqListView(entry: DlqEntry): DlqEntry {
  const out: DlqEntry = { ...entry };
  for (const k of DLQ_BULKY_FIELDS) delete out[k];
  return out;
}

export interface DlqFilter {
  reason?: string;
  flow?: string;
  tag?: string;
  fingerprint?: string;
  /** received_at >= since */
  since?: number;
  /** received_at < until */
  until?: number;
  /** undefined: every tenant (auth off); otherwise the caller's tenant (null included). */
  tenantId?: string | null;
}

export function dlqMatches(e: DlqEntry, f: DlqFilter): boolean {
  return (f.reason === undefined || e.reason === f.reason)
    && (f.flow === undefined || e.flow_name === f.flow)
    && (f.tag === undefined || e.tag === f.tag)
    && (f.fingerprint === undefined || e.fingerprint === f.fingerprint)
    && (f.since === undefined || e.received_at >= f.since)
    && (f.until === undefined || e.received_at < f.until)
    && (f.tenantId === undefined || (e.tenant_id ?? null) === f.tenantId);
}

/** Collects groups from entries seen oldest first. */
export class DlqGrouper {
  readonly #groups = new Map<string, DlqGroup>();

  add(e: DlqEntry): void {
    const g = this.#groups.get(e.fingerprint);
    if (!g) {
      this.#groups.set(e.fingerprint, {
        fingerprint: e.fingerprint, reason: e.reason, flow_name: e.flow_name, error_pattern: normaliseError(e.error),
        count: 1, first_seen: e.received_at, last_seen: e.received_at, tags: e.tag ? [e.tag] : [], sample: dlqListView(e),
      });
      return;
    }
    g.count++;
    g.first_seen = Math.min(g.first_seen, e.received_at);
    if (e.received_at >= g.last_seen) { g.last_seen = e.received_at; g.sample = dlqListView(e); }
    if (e.tag && !g.tags.includes(e.tag)) g.tags.push(e.tag);
  }

  /** Most recent last_seen first. */
  groups(): DlqGroup[] {
    return [...this.#groups.values()].sort((a, b) => b.last_seen - a.last_seen || (a.fingerprint < b.fingerprint ? -1 : 1));
  }
}

/**
 * The run id a requeue of this entry creates: uuid4-shaped, derived from the stream, the entry's
 * sequence and the time the stream stored it (so a recreated stream reusing a sequence gets new ids).
 */
export function requeueRunId(stream: string, entry: Pick<DlqEntry, "seq" | "received_at" | "run_id">): string {
  const h = createHash("sha256").update(`pyoco-dlq-requeue\u0000${stream}\u0000${entry.seq}\u0000${entry.received_at}\u0000${entry.run_id ?? ""}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** DLQ list cursor: the sequence of the last entry shown ("older than this"). */
export function encodeDlqCursor(seq: number): string {
  return String(seq);
}

export function decodeDlqCursor(cursor: string): number | null {
  return /^\d{1,15}$/.test(cursor) && Number(cursor) > 0 ? Number(cursor) : null;
}

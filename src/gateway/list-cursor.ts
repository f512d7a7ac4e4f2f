/**
 * The `GET /runs` continuation token (http-contract.md §1.11): base64url of the compact JSON
 * `{"u": <updated_at>, "r": "<run_id>"}` without `=` padding. It names a position in list order,
 * not an offset, so pages stay stable while runs change.
 */
import type { RunKey } from "./run-order.ts";

export function encodeCursor(key: RunKey): string {
  return Buffer.from(JSON.stringify({ u: key.updatedAt, r: key.runId }), "utf8").toString("base64url");
}

/** The position a token names, or null when it is not one of ours (→ 422 "invalid list query"). */
export function decodeCursor(token: string): RunKey | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return null;
  let data: unknown;
  try { data = JSON.parse(Buffer.from(token, "base64url").toString("utf8")); } catch { return null; }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const { u, r } = data as Record<string, unknown>;
  // Python float(u) / str(r): numbers or numeric strings; the run id must be a string.
  const updatedAt = typeof u === "number" ? u : typeof u === "string" && u.trim() !== "" ? Number(u) : NaN;
  if (!Number.isFinite(updatedAt) || typeof r !== "string") return null;
  return { updatedAt, runId: r };
}

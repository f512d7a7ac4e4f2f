/**
 * Plain-text tables as the original CLI prints them: a header row, each column left-justified to
 * its widest cell, two spaces between columns (trailing padding kept), `(no items)` when empty.
 * Times are shown for people (local time and how long ago); `--output json` keeps wire values.
 */

/** A cell as Python's str() would show it; missing and null values show as "-". */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Epoch seconds → local `YYYY-MM-DD HH:MM:SS` (ISO 8601 date and time, in this machine's zone). */
export function localIso(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A duration in seconds, short: 42s, 5m, 3h, 2d. */
export function shortDuration(sec: number): string {
  const s = Math.abs(sec);
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** "5s ago" / "in 3m" relative to `now` (epoch seconds). */
export function relativeTime(epochSec: number, now: number): string {
  const delta = now - epochSec;
  return delta >= 0 ? `${shortDuration(delta)} ago` : `in ${shortDuration(delta)}`;
}

/** Epoch seconds → `2026-11-29 23:45:12 (5s ago)`; not a positive number → "-". */
export function humanTime(value: unknown, now = Date.now() / 1000): string {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return "-";
  return `${localIso(value)} (${relativeTime(value, now)})`;
}

/** How a column's value is shown, when plain str() would not do. */
export type CellFormat = (value: unknown, row: Record<string, unknown>) => string;

export function renderTable(columns: readonly string[], rows: readonly Record<string, unknown>[], formats: Record<string, CellFormat> = {}): string {
  return renderRows(columns, rows.map((row) => columns.map((c) => (formats[c] ? formats[c]!(row[c], row) : cellText(row[c])))));
}

/** The same layout over cells already turned into text. */
export function renderRows(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return "(no items)\n";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** Columns of `list` / `list-vnext --output table`. */
export const RUN_COLUMNS = ["run_id", "status", "flow_name", "tag", "updated_at"] as const;

/** Time columns of run tables, shown for people. */
export function runTimeFormats(now = Date.now() / 1000): Record<string, CellFormat> {
  const t: CellFormat = (v) => humanTime(v, now);
  return { updated_at: t, start_time: t, end_time: t, heartbeat_at: t, cancel_requested_at: t, worker_heartbeat_at: t };
}

/** `list`, `list-vnext` and `schedule-runs --output table`: one row per run, times for people. */
export function runsTable(runs: readonly Record<string, unknown>[], now = Date.now() / 1000): string {
  return renderTable(RUN_COLUMNS, runs, runTimeFormats(now));
}

/** A task's duration: `duration_ms` when recorded, else from its start and end. */
function taskDuration(rec: Record<string, unknown>): string {
  const ms = typeof rec.duration_ms === "number" ? rec.duration_ms
    : typeof rec.started_at === "number" && typeof rec.ended_at === "number" ? (rec.ended_at - rec.started_at) * 1000 : null;
  if (ms === null) return "-";
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

/** `task  state  started  finished  duration  error`, one row per task (records when present). */
export function tasksTable(tasks: Record<string, unknown>, records: Record<string, unknown>, now = Date.now() / 1000): string {
  const names = [...new Set([...Object.keys(tasks ?? {}), ...Object.keys(records ?? {})])];
  return renderRows(["task", "state", "started", "finished", "duration", "error"], names.map((name) => {
    const rec = (records?.[name] && typeof records[name] === "object" ? records[name] : {}) as Record<string, unknown>;
    const state = cellText(tasks?.[name] ?? rec.state);
    const error = typeof rec.error === "string" ? rec.error.split("\n")[0]!.slice(0, 80) : "-";
    return [name, state, humanTime(rec.started_at, now), humanTime(rec.ended_at, now), taskDuration(rec), error];
  }));
}

/** Snapshot fields shown by `get --output table`, in this order (others follow, sorted). */
const RUN_FIELDS = ["run_id", "flow_name", "status", "tag", "tags", "worker_id", "worker_state", "attempt", "params", "start_time", "end_time",
  "updated_at", "heartbeat_at", "error", "cancel_requested_at", "cancel_requested_by", "cancel_reason", "schedule_id", "workflow_yaml_sha256"];
const HIDDEN_FIELDS = new Set(["tasks", "task_records", "task_records_truncated"]);

/** `get --output table`: a `field  value` table of the snapshot, then its tasks. */
export function runTable(snapshot: Record<string, unknown>, now = Date.now() / 1000): string {
  const formats = runTimeFormats(now);
  const extra = Object.keys(snapshot).filter((k) => !RUN_FIELDS.includes(k) && !HIDDEN_FIELDS.has(k)).sort();
  const fields = [...RUN_FIELDS.filter((k) => k in snapshot), ...extra];
  const rows = fields.map((k) => [k, formats[k] ? formats[k]!(snapshot[k], snapshot) : cellText(snapshot[k])]);
  const tasks = (snapshot.tasks ?? {}) as Record<string, unknown>;
  const records = (snapshot.task_records ?? {}) as Record<string, unknown>;
  const hasTasks = Object.keys(tasks).length + Object.keys(records).length > 0;
  return renderRows(["field", "value"], rows) + (hasTasks ? "\n" + tasksTable(tasks, records, now) : "");
}

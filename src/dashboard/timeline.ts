/**
 * The run detail's task list and timeline, computed from a snapshot (`tasks` states plus
 * `task_records`). Pure: `now` is a parameter.
 *
 *   const tl = buildTimeline(snapshot, Date.now() / 1000);
 *   for (const bar of tl.tasks) bar.leftPct, bar.widthPct   // position on the time axis, 0..100
 */
import { isTerminal, type TaskRecord } from "../domain/run.ts";
import { epoch } from "./format.ts";
import type { RunRow } from "./runs-model.ts";

export interface TaskRow {
  name: string;
  state: string;
  started: number | null;
  ended: number | null;
  durationMs: number | null;
  /** Still running: the bar grows with the clock. */
  live: boolean;
  record: Partial<TaskRecord> | null;
  /** Bar on the axis (percent of the axis), or null when the task has no start time. */
  leftPct: number | null;
  widthPct: number | null;
}

export interface Timeline {
  /** Axis start and end (epoch seconds); null when no task has a start time. */
  start: number | null;
  end: number | null;
  tasks: TaskRow[];
}

const ORDER: Record<string, number> = { SUCCEEDED: 0, FAILED: 0, RUNNING: 1, CANCELLED: 2, PENDING: 3 };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function buildTimeline(run: RunRow, now: number): Timeline {
  const records = isRecord(run.task_records) ? run.task_records : {};
  const states = isRecord(run.tasks) ? run.tasks : {};
  const runOver = isTerminal(run.status);
  const names = [...new Set([...Object.keys(states), ...Object.keys(records)])];
  const tasks: TaskRow[] = names.map((name) => {
    const rec = isRecord(records[name]) ? (records[name] as Partial<TaskRecord>) : null;
    const state = String(rec?.state ?? states[name] ?? "PENDING").toUpperCase();
    const started = epoch(rec?.started_at);
    let ended = epoch(rec?.ended_at);
    const live = state === "RUNNING" && started !== null && ended === null && !runOver;
    if (live) ended = now;
    let durationMs = typeof rec?.duration_ms === "number" ? rec.duration_ms : null;
    if (durationMs === null && started !== null && ended !== null) durationMs = Math.max(0, (ended - started) * 1000);
    return { name, state, started, ended, durationMs, live, record: rec, leftPct: null, widthPct: null };
  });
  // Execution order: by start time; tasks that never started keep their declared order at the end.
  tasks.sort((a, b) => {
    if (a.started !== null && b.started !== null) return a.started - b.started || (ORDER[a.state] ?? 2) - (ORDER[b.state] ?? 2);
    if (a.started !== null || b.started !== null) return a.started !== null ? -1 : 1;
    return (ORDER[a.state] ?? 2) - (ORDER[b.state] ?? 2);
  });

  const starts = tasks.flatMap((t) => (t.started !== null ? [t.started] : []));
  const runStart = epoch(run.start_time);
  const start = starts.length ? Math.min(runStart ?? Infinity, ...starts) : null;
  if (start === null) return { start: null, end: null, tasks };
  const ends = tasks.flatMap((t) => (t.ended !== null ? [t.ended] : t.started !== null ? [t.started] : []));
  let end = Math.max(...ends, epoch(run.end_time) ?? 0);
  if (!runOver && tasks.some((t) => t.live)) end = Math.max(end, now);
  const span = Math.max(end - start, 0.001);
  for (const t of tasks) {
    if (t.started === null) continue;
    t.leftPct = ((t.started - start) / span) * 100;
    const w = (((t.ended ?? t.started) - t.started) / span) * 100;
    t.widthPct = Math.min(100 - t.leftPct, Math.max(w, 0.6));   // a zero-length task stays visible
  }
  return { start, end, tasks };
}

/** Tick positions for the axis: about `count` evenly spaced offsets in seconds from the start. */
export function axisTicks(spanSec: number, count = 4): number[] {
  if (!(spanSec > 0)) return [0];
  const raw = spanSec / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= spanSec + 1e-9; v += step) ticks.push(Number(v.toFixed(6)));
  return ticks;
}

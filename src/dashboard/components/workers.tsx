/**
 * Workers & queues: KPI tiles from `/metrics`, the per-tag queue table from `/queues` and the
 * worker registry from `/workers` (state, tags, current and last run, Pyoco implementation,
 * wheel-sync state), with hide/unhide (`PATCH /workers/{id}`).
 */
import { useState } from "preact/hooks";
import { errorText, type DashboardApi, type QueueRow, type WorkerRecord } from "../api.ts";
import type { WheelSyncState } from "../../client/types.ts";
import { absoluteTime, epoch, formatInt } from "../format.ts";
import type { Polled } from "../hooks.ts";
import { usePoll } from "../hooks.ts";
import { langStore, t, tDynamic, tExact, type TextKey } from "../i18n.ts";
import { parseProm, sampleSum } from "../metrics.ts";
import { reportError, reportOk } from "../status.ts";
import { useStore } from "../store.ts";
import { ErrorNote, Note, Section, StatusBadge, Time } from "./common.tsx";

const WORKER_STATES = ["ALL", "RUNNING", "IDLE", "STOPPED_GRACEFUL", "DISCONNECTED"] as const;

export function workerStateClass(state: unknown): string {
  switch (String(state ?? "").toUpperCase()) {
    case "RUNNING": return "running";
    case "IDLE": return "idle";
    case "STOPPED_GRACEFUL": return "stopped";
    case "DISCONNECTED": return "disconnected";
    default: return "unknown";
  }
}

export function WorkersPanel({ api, queues, now }: { api: DashboardApi; queues: Polled<{ items: QueueRow[] }>; now: number }) {
  useStore(langStore);
  const [state, setState] = useState<string>("ALL");
  const [includeHidden, setIncludeHidden] = useState(false);
  const [busy, setBusy] = useState<Set<string>>(new Set());
  const workers = usePoll(api, "workers", (s) => api.workers({ state, includeHidden }, s), 5000, [state, includeHidden]);
  const metrics = usePoll(api, "metrics", (s) => api.metrics(s), 10_000);

  const toggleHidden = async (w: WorkerRecord) => {
    setBusy((b) => new Set(b).add(w.worker_id));
    try {
      await api.setWorkerHidden(w.worker_id, !w.hidden);
      reportOk("workers");
    } catch (err) {
      reportError("workers", errorText(err));
    } finally {
      setBusy((b) => { const n = new Set(b); n.delete(w.worker_id); return n; });
      workers.reload();
    }
  };

  return (
    <section id="opsPanel" class="panel ops-panel" aria-labelledby="opsTitle">
      <div class="panel-head"><h2 id="opsTitle">{t("nav.workers")}</h2></div>
      <div class="panel-scroll">
        <Kpis text={metrics.data} queues={queues.data?.items} />
        <Section title={t("queues.title")} id="queuesCard">
          {queues.unavailable ? null : queues.error ? <ErrorNote text={queues.error} onRetry={queues.reload} /> : (
            <QueueTable rows={queues.data?.items ?? []} />
          )}
        </Section>
        <Section title={t("workers.title")} id="workersCard" extra={
          <div class="card-tools">
            <label class="field field-inline">
              <span>{t("workers.state")}</span>
              <select id="wState" value={state} onChange={(e) => setState(e.currentTarget.value)}>
                {WORKER_STATES.map((s) => <option value={s}>{t(`wstate.${s}` as TextKey)}</option>)}
              </select>
            </label>
            <label class="check">
              <input id="wIncludeHidden" type="checkbox" checked={includeHidden} onChange={(e) => setIncludeHidden(e.currentTarget.checked)} /> {t("workers.includeHidden")}
            </label>
          </div>
        }>
          {workers.error && <ErrorNote text={workers.error} onRetry={workers.reload} />}
          <div class="table-wrap">
            <table class="grid-table workers-table">
              <thead>
                <tr>
                  <th>{t("workers.id")}</th><th>{t("workers.state")}</th><th>{t("workers.lastSeen")}</th><th>{t("workers.tags")}</th>
                  <th>{t("workers.current")}</th><th>{t("workers.lastResult")}</th><th>{t("workers.pyoco")}</th><th>{t("workers.wheels")}</th><th />
                </tr>
              </thead>
              <tbody id="workersList">
                {(workers.data ?? []).map((w) => <WorkerRow w={w} now={now} busy={busy.has(w.worker_id)} onToggle={toggleHidden} />)}
              </tbody>
            </table>
          </div>
          {workers.data && workers.data.length === 0 && <Note>{t("workers.empty")}</Note>}
        </Section>
      </div>
    </section>
  );
}

function Kpis({ text, queues }: { text: string | undefined; queues: QueueRow[] | undefined }) {
  const lang = useStore(langStore);
  const samples = text ? parseProm(text) : [];
  const fmt = (v: number | null) => (v === null ? "—" : formatInt(Math.max(0, v), lang));
  const failed = sampleSum(samples, "pyoco_runs_today_total", { status: "FAILED" });
  const waiting = queues ? queues.reduce((n, q) => n + (q.waiting || 0), 0) : sampleSum(samples, "pyoco_queue_waiting");
  const tile = (id: string, label: TextKey, value: string, bad = false) => (
    <div class={`kpi${bad ? " kpi-bad" : ""}`}><span class="kpi-label">{t(label)}</span><span class="kpi-value" id={id}>{value}</span></div>
  );
  return (
    <div class="kpis" id="kpis">
      {tile("kpiRunning", "kpi.running", fmt(text ? sampleSum(samples, "pyoco_runs_total", { status: "RUNNING" }) ?? 0 : null))}
      {tile("kpiCompletedToday", "kpi.completedToday", fmt(text ? sampleSum(samples, "pyoco_runs_today_total", { status: "COMPLETED" }) ?? 0 : null))}
      {tile("kpiFailedToday", "kpi.failedToday", fmt(text ? failed ?? 0 : null), (failed ?? 0) > 0)}
      {tile("kpiWaiting", "kpi.waiting", fmt(waiting))}
      {tile("kpiWorkers", "kpi.workers", fmt(text ? sampleSum(samples, "pyoco_workers_alive_total") : null))}
    </div>
  );
}

function QueueTable({ rows }: { rows: QueueRow[] }) {
  const lang = useStore(langStore);
  if (rows.length === 0) return <Note>{t("queues.empty")}</Note>;
  return (
    <div class="table-wrap">
      <table class="grid-table queues-table" id="queuesTable">
        <thead><tr><th>{t("queues.tag")}</th><th class="num">{t("queues.workers")}</th><th class="num">{t("queues.waiting")}</th><th class="num">{t("queues.inFlight")}</th></tr></thead>
        <tbody>
          {rows.map((q) => (
            <tr class={q.waiting > 0 && q.workers === 0 ? "row-warn" : ""} data-tag={q.tag}>
              <td>{q.tag}</td><td class="num">{formatInt(q.workers, lang)}</td><td class="num">{formatInt(q.waiting, lang)}</td><td class="num">{formatInt(q.unacknowledged, lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Tags with runs waiting and no worker serving them (the banner under the header). */
export function QueueWarnings({ rows }: { rows: QueueRow[] | undefined }) {
  useStore(langStore);
  const stuck = (rows ?? []).filter((q) => q.waiting > 0 && q.workers === 0);
  if (stuck.length === 0) return null;
  return (
    <div id="queueWarnings" class="queue-warnings" role="alert">
      {stuck.map((q) => <p>⚠ {t("queues.warning", { tag: q.tag, n: q.waiting })}</p>)}
    </div>
  );
}

/** The wheel-sync state of a worker as a short badge (and its error on hover). */
export function WheelSyncBadge({ ws }: { ws: WheelSyncState | null | undefined }) {
  if (!ws || typeof ws !== "object") return <span class="muted">—</span>;
  const result = String(ws.last_result ?? (ws.enabled ? "idle" : "disabled"));
  const installed = Array.isArray(ws.installed_wheels) ? ws.installed_wheels.length : 0;
  const skipped = Number(ws.skipped_incompatible_count ?? (Array.isArray(ws.skipped_incompatible) ? ws.skipped_incompatible.length : 0)) || 0;
  const cls = result === "error" ? "chip-bad" : result === "ok" ? "chip-ok" : "";
  return (
    <span class="wsync" title={ws.last_error ? String(ws.last_error) : undefined}>
      <span class={`chip wsync-state ${cls}`} data-result={result}>{tExact("wsync", result) || result}</span>
      {ws.enabled !== false && result !== "disabled" && <span class="muted small"> {t("wsync.summary", { installed, skipped })}</span>}
    </span>
  );
}

function WorkerRow({ w, now, busy, onToggle }: { w: WorkerRecord; now: number; busy: boolean; onToggle: (w: WorkerRecord) => void }) {
  const lang = useStore(langStore);
  const state = String(w.state ?? "").toUpperCase();
  const cls = workerStateClass(state);
  const tags: string[] = Array.isArray(w.tags) ? w.tags : [];
  const py = w.pyoco && typeof w.pyoco === "object" ? w.pyoco : null;
  const isDouble = py && String(py.impl ?? "").toLowerCase() === "double";
  const seen = epoch(w.last_seen_at) ?? epoch(w.heartbeat_at);
  return (
    <tr class={`worker-item state-${cls}${w.hidden ? " is-hidden" : ""}`} data-worker-id={w.worker_id}>
      <td class="mono">{w.worker_id}{w.hidden && <span class="chip chip-hidden">{t("workers.hidden")}</span>}</td>
      <td>
        <span class={`worker-state badge ${cls}`} title={state || undefined}>{tDynamic("wstate", state, "wstate.UNKNOWN")}</span>
        {state === "DISCONNECTED" && <span class="worker-lost"> ⚠ {t("workers.lost")}</span>}
      </td>
      <td title={seen !== null ? absoluteTime(seen, lang) : undefined}><Time ts={seen} now={now} /></td>
      <td>{tags.length ? tags.map((tag) => <span class="chip">{tag}</span>) : "—"}</td>
      <td class="mono">{w.current_run_id ? <a href={`#run=${encodeURIComponent(String(w.current_run_id))}`}>{String(w.current_run_id).slice(0, 8)}</a> : "—"}</td>
      <td>{w.last_run_status ? <StatusBadge status={w.last_run_status} /> : "—"}</td>
      <td>
        {py ? <span class="chip" title={py.impl ? String(py.impl) : undefined}>{String(py.version ?? "?")}</span> : "—"}
        {isDouble && <span class="chip chip-double" title={t("workers.doubleTitle")}>⚗ {t("workers.double")}</span>}
      </td>
      <td><WheelSyncBadge ws={w.wheel_sync} /></td>
      <td>
        <button type="button" class="btn btn-ghost btn-small worker-toggle-hidden" disabled={busy}
          title={t(w.hidden ? "workers.unhideTitle" : "workers.hideTitle", { id: w.worker_id })} onClick={() => onToggle(w)}>
          {w.hidden ? `↺ ${t("workers.unhide")}` : `⊘ ${t("workers.hide")}`}
        </button>
      </td>
    </tr>
  );
}


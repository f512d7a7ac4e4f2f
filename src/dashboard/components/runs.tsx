/**
 * The dense runs table: status, run, flow, tag, worker, started, duration, updated; sortable by
 * clicking a column head (or the sort selects on a phone), filtered in the browser as you type,
 * live through the RunsFeed. Renders the first RENDER_STEP matching rows, more on demand, so a
 * page with thousands of runs stays quick.
 */
import { useMemo, useState } from "preact/hooks";
import type { TargetedKeyboardEvent } from "preact";
import { formatDuration } from "../format.ts";
import { langStore, t, type TextKey } from "../i18n.ts";
import type { RunsFeed } from "../runs-feed.ts";
import { MAX_INITIAL_RUNS } from "../runs-feed.ts";
import {
  EMPTY_FILTER, runDurationMs, SORT_KEYS, STATUS_FILTERS, statusCounts, visibleRuns,
  type RunFilter, type RunRow, type SortDir, type SortKey, type StatusFilter,
} from "../runs-model.ts";
import { useStore } from "../store.ts";
import { ErrorNote, Note, StatusBadge, statusClass, Time } from "./common.tsx";

const RENDER_STEP = 200;

interface Column { key: SortKey; label: TextKey; cls: string }

const COLUMNS: Column[] = [
  { key: "status", label: "col.status", cls: "c-status" },
  { key: "run_id", label: "col.run", cls: "c-run" },
  { key: "flow_name", label: "col.flow", cls: "c-flow" },
  { key: "tag", label: "col.tag", cls: "c-tag" },
  { key: "worker_id", label: "col.worker", cls: "c-worker" },
  { key: "start_time", label: "col.started", cls: "c-started" },
  { key: "duration", label: "col.duration", cls: "c-duration" },
  { key: "updated_at", label: "col.updated", cls: "c-updated" },
];

/** Substring filters beside the search box (ids kept from the original page). */
const TEXT_FILTERS: Array<[id: string, field: "flow" | "tag" | "worker", label: TextKey]> = [
  ["fFlow", "flow", "filters.flow"], ["fTag", "tag", "filters.tag"], ["fWorkerId", "worker", "filters.worker"],
];

const SORT_LABEL: Record<SortKey, TextKey> = {
  ops_default: "sort.ops", status: "col.status", run_id: "col.run", flow_name: "col.flow", tag: "col.tag",
  worker_id: "col.worker", start_time: "col.started", duration: "col.duration", updated_at: "col.updated", end_time: "fact.ended",
};

interface RunsPanelProps {
  feed: RunsFeed;
  selectedId: string | null;
  onSelect: (runId: string) => void;
  now: number;
}

export function RunsPanel({ feed, selectedId, onSelect, now }: RunsPanelProps) {
  const lang = useStore(langStore);
  const fs = useStore(feed.store);
  const [filter, setFilter] = useState<RunFilter>(EMPTY_FILTER);
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: "updated_at", dir: "desc" });
  const [limit, setLimit] = useState(RENDER_STEP);

  // Re-sort when data, filter or sort change; `now` only matters for running durations (1 s tick).
  const rows = useMemo(() => visibleRuns(feed.rows(), filter, sort.key, sort.dir, now),
    [fs.version, filter, sort, sort.key === "duration" ? now : 0]);
  const counts = useMemo(() => statusCounts(feed.rows()), [fs.version]);
  const total = feed.runs.size;
  const shown = rows.slice(0, limit);

  const set = (patch: Partial<RunFilter>) => { setFilter((f) => ({ ...f, ...patch })); setLimit(RENDER_STEP); };
  const sortBy = (key: SortKey) => setSort((s) => (s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "flow_name" || key === "tag" || key === "worker_id" || key === "run_id" || key === "status" ? "asc" : "desc" }));
  const filtered = filter.status !== "ALL" || filter.flow || filter.tag || filter.search || filter.worker;

  const onKey = (e: TargetedKeyboardEvent<HTMLTableRowElement>, runId: string) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onSelect(runId); }
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (e.key === "ArrowDown" ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling) as HTMLElement | null;
      next?.focus();
    }
  };

  const chip = (status: StatusFilter, label: TextKey, n: number) => (
    <button type="button" class={`chip chip-btn${filter.status === status ? " is-on" : ""}`} aria-pressed={filter.status === status}
      data-status={status} onClick={() => set({ status: filter.status === status ? "ALL" : status })}>
      {t(label)} <b>{n.toLocaleString(lang === "ja" ? "ja-JP" : "en-US")}</b>
    </button>
  );

  return (
    <section id="runsPanel" class={`panel runs-panel${fs.phase === "loading" ? " is-loading" : ""}`} aria-labelledby="runsTitle">
      <div class="panel-head">
        <h2 id="runsTitle">{t("runs.title")}</h2>
        <span class={`live-dot${fs.phase === "ready" && !fs.error ? " is-live" : ""}`} title={t("runs.live")} aria-hidden="true" />
        <div id="runStats" class="chips" aria-live="polite">
          {chip("ALL", "stats.all", counts.all)}
          {chip("ACTIVE", "stats.active", counts.active)}
          {chip("COMPLETED", "stats.completed", counts.completed)}
          {chip("FAILED", "stats.failed", counts.failed)}
        </div>
        <p id="runsCount" class="meta">
          {t("runs.count", { shown: rows.length, total })}
          {fs.truncated && <span class="muted"> · {t("runs.truncated", { n: MAX_INITIAL_RUNS })}</span>}
        </p>
      </div>
      <form id="runsFilters" class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <label class="field field-search">
          <span>{t("filters.search")}</span>
          <input id="fRunId" type="search" spellcheck={false} placeholder={t("filters.searchPh")} value={filter.search}
            onInput={(e) => set({ search: e.currentTarget.value })} />
        </label>
        <label class="field">
          <span>{t("filters.status")}</span>
          <select id="fStatus" value={filter.status} onChange={(e) => set({ status: e.currentTarget.value as StatusFilter })}>
            {STATUS_FILTERS.map((s) => <option value={s}>{t(`status.${s}` as TextKey)}</option>)}
          </select>
        </label>
        {TEXT_FILTERS.map(([id, field, label]) => (
          <label class="field field-extra">
            <span>{t(label)}</span>
            <input id={id} type="text" spellcheck={false} placeholder={t("filters.containsPh")} value={filter[field]} onInput={(e) => set({ [field]: e.currentTarget.value })} />
          </label>
        ))}
        <label class="field field-sort">
          <span>{t("sort.label")}</span>
          <span class="sort-pair">
            <select id="fSortKey" value={sort.key} onChange={(e) => setSort((s) => ({ ...s, key: e.currentTarget.value as SortKey }))}>
              {SORT_KEYS.map((k) => <option value={k}>{t(SORT_LABEL[k])}</option>)}
            </select>
            <select id="fSortDir" value={sort.dir} aria-label={t("sort.order")} disabled={sort.key === "ops_default"}
              onChange={(e) => setSort((s) => ({ ...s, dir: e.currentTarget.value as SortDir }))}>
              <option value="desc">{t("sort.desc")}</option>
              <option value="asc">{t("sort.asc")}</option>
            </select>
          </span>
        </label>
        {filtered && <button type="button" id="fClear" class="btn btn-ghost btn-small" onClick={() => { setFilter(EMPTY_FILTER); setLimit(RENDER_STEP); }}>{t("filters.clear")}</button>}
      </form>
      {fs.phase === "error" && fs.error && <ErrorNote text={fs.error} onRetry={() => feed.start()} />}
      <div class="table-wrap">
        <table class="runs-table">
          <caption class="sr-only">{t("detail.pick")}</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th class={c.cls} scope="col" aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : undefined}>
                  <button type="button" class="th-sort" data-sort={c.key} title={t("sort.by", { col: t(c.label) })} onClick={() => sortBy(c.key)}>
                    {t(c.label)}{sort.key === c.key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody id="runsList">
            {shown.map((r) => <RunRowView key={r.run_id} r={r} now={now} selected={r.run_id === selectedId} onSelect={onSelect} onKey={onKey} />)}
          </tbody>
        </table>
        {fs.phase === "loading" && <Note>{t("runs.loading")}</Note>}
        {fs.phase !== "loading" && rows.length === 0 && <Note>{total === 0 ? t("runs.none") : t("runs.empty")}</Note>}
        {rows.length > limit && (
          <button id="runsMore" type="button" class="btn more-btn" onClick={() => setLimit((n) => n + RENDER_STEP)}>
            {t("runs.showMore", { n: Math.min(RENDER_STEP, rows.length - limit) })}
          </button>
        )}
      </div>
    </section>
  );
}

interface RowProps {
  r: RunRow;
  now: number;
  selected: boolean;
  onSelect: (runId: string) => void;
  onKey: (e: TargetedKeyboardEvent<HTMLTableRowElement>, runId: string) => void;
}

function RunRowView({ r, now, selected, onSelect, onKey }: RowProps) {
  const lang = useStore(langStore);
  const dur = runDurationMs(r, now);
  return (
    <tr class={`run-item status-${statusClass(r.status)}${selected ? " active" : ""}`} data-run-id={r.run_id} tabIndex={0}
      aria-selected={selected} onClick={() => onSelect(r.run_id)} onKeyDown={(e) => onKey(e, r.run_id)}>
      <td class="c-status"><StatusBadge status={r.status} /></td>
      <td class="c-run mono" title={r.run_id}>{r.run_id.slice(0, 8)}</td>
      <td class="c-flow" title={String(r.flow_name ?? "")}>{String(r.flow_name ?? "—")}</td>
      <td class="c-tag">{r.tag ? String(r.tag) : "—"}</td>
      <td class="c-worker mono" title={String(r.worker_id ?? "")}>{r.worker_id ? String(r.worker_id) : "—"}</td>
      <td class="c-started"><Time ts={r.start_time} now={now} /></td>
      <td class="c-duration">{dur === null ? "—" : formatDuration(dur, lang)}</td>
      <td class="c-updated"><Time ts={r.updated_at} now={now} /></td>
    </tr>
  );
}

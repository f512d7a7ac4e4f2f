// Pyoco Control Deck: operator dashboard for the pyoco gateway.
// Plain ES module, no build step, no external resources (works air-gapped).
// Contract: shared/spec/http-contract.md §6 (element ids, data flow, i18n).

"use strict";

// ---------------------------------------------------------------------------
// i18n
// ---------------------------------------------------------------------------

const I18N = {
  en: {
    "a11y.skip": "Skip to runs",
    "header.subtitle1": "Live operations for distributed Pyoco runs.",
    "header.subtitle2": "Runs, workers and queues at a glance: calm deck, clear signals.",
    "header.language": "Language",
    "auth.header": "Auth header",
    "auth.key": "API key",
    "auth.keyPlaceholder": "optional",
    "auth.apply": "Apply",
    "runs.title": "Runs",
    "filters.status": "Status",
    "filters.flow": "Flow",
    "filters.tag": "Tag",
    "filters.runId": "Run id",
    "filters.sortKey": "Sort by",
    "filters.sortDir": "Order",
    "filters.workerId": "Worker",
    "filters.limit": "Page size",
    "filters.apply": "Apply Filters",
    "filters.more": "More filters",
    "filters.fewer": "Fewer filters",
    "filters.flowPh": "exact flow name",
    "filters.tagPh": "exact tag",
    "filters.partialPh": "contains…",
    "status.ALL": "All",
    "status.PENDING": "Pending",
    "status.PENDING_APPROVAL": "Awaiting approval",
    "status.RUNNING": "Running",
    "status.CANCELLING": "Cancelling",
    "status.COMPLETED": "Completed",
    "status.FAILED": "Failed",
    "status.CANCELLED": "Cancelled",
    "status.UNKNOWN": "Unknown",
    "sort.ops_default": "Ops priority",
    "sort.updated_at": "Updated",
    "sort.start_time": "Started",
    "sort.end_time": "Ended",
    "sort.flow_name": "Flow",
    "sort.status": "Status",
    "sort.run_id": "Run id",
    "dir.desc": "Descending",
    "dir.asc": "Ascending",
    "runs.glossary": "○ pending · ▶ running · … cancelling · ✓ completed · ⚠ failed · ■ cancelled",
    "stats.all": "All",
    "stats.active": "Active",
    "stats.completed": "Completed",
    "stats.failed": "Failed",
    "stats.failedTitle": "Failed + cancelled runs",
    "stats.activeTitle": "Pending + running + cancelling runs",
    "runs.loading": "Loading runs…",
    "runs.empty": "No runs match these filters yet.",
    "runs.truncated": "Showing the first {shown} of {total} matching runs; narrow the filters to see more.",
    "run.chipFlow": "flow {v}",
    "run.chipTag": "tag {v}",
    "run.bottom": "run {id} | updated {time}",
    "detail.title": "Run detail",
    "detail.empty": "Select a run to follow it live.",
    "detail.cancel": "Cancel run",
    "detail.cancelling": "Cancelling...",
    "detail.meta": "{id} | {status} | updated {time}",
    "detail.story": "Execution Story",
    "detail.recipe": "Flow Recipe",
    "detail.tasks": "Tasks",
    "detail.noTasks": "No task records yet.",
    "detail.truncated": "Task records were dropped because the run snapshot exceeded the size limit; task states are still shown.",
    "detail.flow": "Flow",
    "detail.tag": "Tag",
    "detail.worker": "Worker",
    "detail.workerAlive": "alive",
    "detail.workerGone": "not alive ({state})",
    "detail.started": "Started",
    "detail.ended": "Ended",
    "detail.duration": "Duration",
    "detail.params": "Params",
    "detail.error": "Error",
    "detail.cancelRequested": "Cancel requested",
    "detail.cancelBy": "by {who}",
    "detail.running": "running for {d}",
    "detail.loadFailed": "Could not load the run: {msg}",
    "task.name": "Task",
    "task.state": "State",
    "task.duration": "Duration",
    "task.output": "Output",
    "task.error": "Error",
    "task.inputs": "Inputs",
    "task.traceback": "Traceback",
    "task.more": "show all",
    "tstate.PENDING": "Pending",
    "tstate.RUNNING": "Running",
    "tstate.SUCCEEDED": "Succeeded",
    "tstate.FAILED": "Failed",
    "tstate.CANCELLED": "Cancelled",
    "recipe.noteSha": "The YAML body is not stored in the run snapshot; only its SHA-256 and size are recorded.",
    "recipe.noteFlow": "No YAML upload recorded: this run was probably submitted by flow name.",
    "watch.idle": "idle",
    "watch.connecting": "connecting",
    "watch.streaming": "streaming",
    "watch.reconnecting": "reconnecting",
    "watch.retrying": "retrying",
    "watch.terminal": "terminal",
    "ops.title": "Operations",
    "kpi.running": "Engines running",
    "kpi.completedToday": "Completed today",
    "kpi.failedToday": "Failed today",
    "kpi.waiting": "Waiting in queues",
    "kpi.workersAlive": "Workers alive",
    "queues.title": "Queues by tag",
    "queues.tag": "Tag",
    "queues.workers": "Workers",
    "queues.waiting": "Waiting",
    "queues.unacked": "In flight",
    "queues.empty": "No queues reported yet.",
    "queues.warn": "tag {tag}: 0 workers, {waiting} runs waiting",
    "queues.warnOne": "tag {tag}: 0 workers, 1 run waiting",
    "workers.title": "Workers",
    "workers.state": "State",
    "workers.includeHidden": "Show hidden",
    "workers.empty": "No workers on stage right now.",
    "workers.hidden": "hidden",
    "workers.seen": "seen={time} tags=[{tags}]",
    "workers.lost": "connection lost",
    "workers.runLine": "current_run={cur} last_result={last}",
    "workers.hide": "Hide",
    "workers.unhide": "Unhide",
    "workers.hideTitle": "Hide {id} from the default list",
    "workers.unhideTitle": "Show {id} in the default list again",
    "workers.double": "test double",
    "workers.doubleTitle": "This worker runs the Pyoco test double, not the real Pyoco package.",
    "workers.pyoco": "pyoco {version}",
    "workers.wheels": "wheels {state}",
    "wstate.ALL": "All states",
    "wstate.RUNNING": "Running",
    "wstate.IDLE": "Idle",
    "wstate.STOPPED_GRACEFUL": "Stopped",
    "wstate.DISCONNECTED": "Disconnected",
    "wstate.UNKNOWN": "Unknown",
    "footer.lastUpdate": "Last update: {time}",
    "error.network": "network error: {msg}",
  },
  ja: {
    "a11y.skip": "ラン一覧へ移動",
    "header.subtitle1": "たのしい運用ルームへようこそ。分散Pyocoランをライブで見守ります。",
    "header.subtitle2": "ラン・ワーカー・キューをひと目で。落ち着いたデッキ、はっきりしたシグナル。",
    "header.language": "表示言語",
    "auth.header": "認証ヘッダー",
    "auth.key": "APIキー",
    "auth.keyPlaceholder": "任意",
    "auth.apply": "適用",
    "runs.title": "ラン",
    "filters.status": "ステータス",
    "filters.flow": "フロー",
    "filters.tag": "タグ",
    "filters.runId": "ランID",
    "filters.sortKey": "並び順",
    "filters.sortDir": "方向",
    "filters.workerId": "ワーカー",
    "filters.limit": "取得件数",
    "filters.apply": "フィルター適用",
    "filters.more": "詳細フィルター",
    "filters.fewer": "詳細を閉じる",
    "filters.flowPh": "完全一致",
    "filters.tagPh": "完全一致",
    "filters.partialPh": "部分一致…",
    "status.ALL": "すべて",
    "status.PENDING": "待機中",
    "status.PENDING_APPROVAL": "承認待ち",
    "status.RUNNING": "実行中",
    "status.CANCELLING": "キャンセル中",
    "status.COMPLETED": "完了",
    "status.FAILED": "失敗",
    "status.CANCELLED": "キャンセル済み",
    "status.UNKNOWN": "不明",
    "sort.ops_default": "運用優先",
    "sort.updated_at": "更新日時",
    "sort.start_time": "開始日時",
    "sort.end_time": "終了日時",
    "sort.flow_name": "フロー名",
    "sort.status": "ステータス",
    "sort.run_id": "ランID",
    "dir.desc": "降順",
    "dir.asc": "昇順",
    "runs.glossary": "○ 待機 · ▶ 実行中 · … キャンセル中 · ✓ 完了 · ⚠ 失敗 · ■ キャンセル済み",
    "stats.all": "すべて",
    "stats.active": "稼働中",
    "stats.completed": "完了",
    "stats.failed": "失敗",
    "stats.failedTitle": "失敗とキャンセル済みのラン",
    "stats.activeTitle": "待機・実行中・キャンセル中のラン",
    "runs.loading": "ランを読み込み中…",
    "runs.empty": "条件に合うランはまだありません。",
    "runs.truncated": "該当 {total} 件のうち先頭 {shown} 件を表示中です。条件を絞り込んでください。",
    "run.chipFlow": "フロー {v}",
    "run.chipTag": "タグ {v}",
    "run.bottom": "ラン {id} | 更新 {time}",
    "detail.title": "ラン詳細",
    "detail.empty": "ランを選ぶとライブで追跡します。",
    "detail.cancel": "キャンセル",
    "detail.cancelling": "キャンセル中...",
    "detail.meta": "{id} | {status} | 更新 {time}",
    "detail.story": "実行ストーリー",
    "detail.recipe": "フローレシピ",
    "detail.tasks": "タスク",
    "detail.noTasks": "タスク記録はまだありません。",
    "detail.truncated": "スナップショットがサイズ上限を超えたため、タスク記録は省略されています（タスクの状態は表示されます）。",
    "detail.flow": "フロー",
    "detail.tag": "タグ",
    "detail.worker": "ワーカー",
    "detail.workerAlive": "稼働中",
    "detail.workerGone": "応答なし（{state}）",
    "detail.started": "開始",
    "detail.ended": "終了",
    "detail.duration": "所要時間",
    "detail.params": "パラメータ",
    "detail.error": "エラー",
    "detail.cancelRequested": "キャンセル要求",
    "detail.cancelBy": "要求者 {who}",
    "detail.running": "{d} 実行中",
    "detail.loadFailed": "ランを読み込めませんでした: {msg}",
    "task.name": "タスク",
    "task.state": "状態",
    "task.duration": "所要時間",
    "task.output": "出力",
    "task.error": "エラー",
    "task.inputs": "入力",
    "task.traceback": "トレースバック",
    "task.more": "すべて表示",
    "tstate.PENDING": "待機",
    "tstate.RUNNING": "実行中",
    "tstate.SUCCEEDED": "成功",
    "tstate.FAILED": "失敗",
    "tstate.CANCELLED": "キャンセル",
    "recipe.noteSha": "YAML本文はスナップショットに保存されません。SHA-256とサイズのみ記録されています。",
    "recipe.noteFlow": "YAMLのアップロード記録はありません。フロー名で投入されたランと思われます。",
    "watch.idle": "待機",
    "watch.connecting": "接続中",
    "watch.streaming": "ライブ",
    "watch.reconnecting": "再接続中",
    "watch.retrying": "再試行中",
    "watch.terminal": "終了",
    "ops.title": "運用",
    "kpi.running": "稼働中エンジン",
    "kpi.completedToday": "本日の完了",
    "kpi.failedToday": "本日の失敗",
    "kpi.waiting": "キュー待ち",
    "kpi.workersAlive": "稼働ワーカー",
    "queues.title": "タグ別キュー",
    "queues.tag": "タグ",
    "queues.workers": "ワーカー",
    "queues.waiting": "待ち",
    "queues.unacked": "処理中",
    "queues.empty": "キュー情報はまだありません。",
    "queues.warn": "タグ {tag}: ワーカー0台、{waiting}件のランが待機中",
    "queues.warnOne": "タグ {tag}: ワーカー0台、1件のランが待機中",
    "workers.title": "ワーカー",
    "workers.state": "状態",
    "workers.includeHidden": "非表示も表示",
    "workers.empty": "いまステージにいるワーカーはいません。",
    "workers.hidden": "非表示",
    "workers.seen": "最終確認={time} タグ=[{tags}]",
    "workers.lost": "接続が切れています",
    "workers.runLine": "実行中ラン={cur} 直近の結果={last}",
    "workers.hide": "隠す",
    "workers.unhide": "戻す",
    "workers.hideTitle": "{id} を通常の一覧から隠す",
    "workers.unhideTitle": "{id} を通常の一覧に戻す",
    "workers.double": "テストダブル",
    "workers.doubleTitle": "このワーカーは本物のPyocoではなくテストダブルで動いています。",
    "workers.pyoco": "pyoco {version}",
    "workers.wheels": "wheel {state}",
    "wstate.ALL": "すべての状態",
    "wstate.RUNNING": "実行中",
    "wstate.IDLE": "待機中",
    "wstate.STOPPED_GRACEFUL": "停止",
    "wstate.DISCONNECTED": "切断",
    "wstate.UNKNOWN": "不明",
    "footer.lastUpdate": "最終更新: {time}",
    "error.network": "ネットワークエラー: {msg}",
  },
};

const LS_LANG = "pyoco.lang";
const LS_AUTH_HEADER = "pyoco.auth_header";
const LS_AUTH_KEY = "pyoco.auth_key";

function normLang(value) {
  const v = String(value == null ? "" : value).trim().toLowerCase();
  if (v.startsWith("ja")) return "ja";
  if (v.startsWith("en")) return "en";
  return null;
}

function lsGet(key) {
  try { return window.localStorage.getItem(key); } catch { return null; }
}
function lsSet(key, value) {
  try {
    if (value == null || value === "") window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch { /* storage may be disabled; the in-memory value still applies */ }
}

let lang = normLang(lsGet(LS_LANG)) || normLang(window.__PYOCO_DASHBOARD_LANG__) || "en";

function t(key, vars) {
  let s = (I18N[lang] && I18N[lang][key]) ?? I18N.en[key] ?? key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in vars && vars[name] != null ? String(vars[name]) : m));
  }
  return s;
}

function locale() { return lang === "ja" ? "ja-JP" : "en-US"; }

function applyStaticI18n() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  const sw = $("#langSwitch");
  if (sw) {
    sw.value = lang;
    sw.setAttribute("aria-label", t("header.language"));
  }
  const ws = $("#wState");
  if (ws) ws.setAttribute("aria-label", t("workers.state"));
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

function $(sel) { return document.querySelector(sel); }

/** Build a DOM element. Children may be strings, nodes, arrays, null/false (skipped). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  appendChildren(el, children);
  return el;
}
function appendChildren(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) appendChildren(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function num(v) {
  const n = typeof v === "number" ? v : parseFloat(v);
  return Number.isFinite(n) ? n : 0;
}

function fmtTime(ts) {
  const n = num(ts);
  if (n <= 0) return "-";
  return new Date(n * 1000).toLocaleTimeString(locale());
}
function fmtDateTime(ts) {
  const n = num(ts);
  if (n <= 0) return "-";
  return new Date(n * 1000).toLocaleString(locale());
}
function fmtDuration(ms) {
  if (ms == null || !Number.isFinite(Number(ms))) return "-";
  ms = Number(ms);
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  const rs = Math.floor(s % 60);
  if (m < 60) return `${m}m ${String(rs).padStart(2, "0")}s`;
  const hh = Math.floor(m / 60);
  return `${hh}h ${String(m % 60).padStart(2, "0")}m`;
}
function fmtInt(n) {
  const v = Math.max(0, Math.round(num(n)));
  return v.toLocaleString(locale());
}
function shortJson(value, max = 160) {
  let s;
  if (typeof value === "string") s = value;
  else {
    try { s = JSON.stringify(value); } catch { s = String(value); }
  }
  if (s === undefined) s = String(value);
  return { text: s.length > max ? s.slice(0, max - 1) + "…" : s, full: s, long: s.length > max };
}

const STATUS_ICON = {
  PENDING: "○", PENDING_APPROVAL: "○", RUNNING: "▶", CANCELLING: "…",
  COMPLETED: "✓", FAILED: "⚠", CANCELLED: "■",
};
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const ACTIVE = new Set(["PENDING", "RUNNING", "CANCELLING"]);

function normStatus(s) { return String(s || "").toUpperCase(); }
function statusIcon(s) { return STATUS_ICON[normStatus(s)] || "•"; }
function statusClass(s) {
  const u = normStatus(s);
  return STATUS_ICON[u] ? u.toLowerCase().replace(/_/g, "-") : "unknown";
}
function statusText(s) {
  const u = normStatus(s);
  if (!u) return t("status.UNKNOWN");
  const key = `status.${u}`;
  const v = t(key);
  return v === key ? u : v;
}
function isTerminal(s) { return TERMINAL.has(normStatus(s)); }

function workerStateClass(state) {
  switch (normStatus(state)) {
    case "RUNNING": return "running";
    case "IDLE": return "idle";
    case "STOPPED_GRACEFUL": return "stopped";
    case "DISCONNECTED": return "disconnected";
    default: return "unknown";
  }
}
function workerStateText(state) {
  const u = normStatus(state);
  const key = `wstate.${u}`;
  const v = t(key);
  return v === key ? (u || t("wstate.UNKNOWN")) : v;
}

// ---------------------------------------------------------------------------
// HTTP, auth, errors
// ---------------------------------------------------------------------------

const auth = {
  header: lsGet(LS_AUTH_HEADER) || "X-API-Key",
  key: lsGet(LS_AUTH_KEY) || "",
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  if (auth.key) {
    try { headers.set(auth.header || "X-API-Key", auth.key); }
    catch { throw new ApiError(0, `invalid auth header name: ${auth.header}`); }
  }
  let res;
  try {
    res = await fetch(path, { ...opts, headers, cache: "no-store" });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, t("error.network", { msg: e && e.message ? e.message : String(e) }));
  }
  if (!res.ok) {
    let body = "";
    try { body = await res.text(); } catch { /* ignore */ }
    throw new ApiError(res.status, `${res.status} ${body}`.trim());
  }
  return res;
}
async function apiJson(path, opts) {
  const res = await api(path, opts);
  return res.json();
}

// Errors are tracked per source, so that a success of one refresh does not hide
// another source's still-current failure; a later success of the same source clears it.
const errors = new Map();
function setError(source, err) {
  if (err && err.name === "AbortError") return;
  const msg = err instanceof Error ? err.message : String(err);
  const prev = errors.get(source);
  errors.set(source, { msg, at: Date.now() });
  renderErrorLine();
  if (source === "runs" && (!prev || prev.msg !== msg)) renderRuns();
}
function clearError(source) {
  if (errors.delete(source)) renderErrorLine();
}
function renderErrorLine() {
  const el = $("#errorLine");
  let latest = null;
  for (const e of errors.values()) if (!latest || e.at >= latest.at) latest = e;
  el.textContent = latest ? latest.msg : "";
  el.classList.toggle("has-error", !!latest);
}

let lastUpdateTs = 0;
function markUpdated() {
  lastUpdateTs = Date.now() / 1000;
  renderLastUpdate();
}
function renderLastUpdate() {
  $("#lastUpdate").textContent = t("footer.lastUpdate", { time: lastUpdateTs ? fmtTime(lastUpdateTs) : "-" });
}

// ---------------------------------------------------------------------------
// Runs list
// ---------------------------------------------------------------------------

const MAX_INITIAL_PAGES = 8;
const MAX_DELTA_PAGES = 8;
const MAX_RENDERED_RUNS = 500;
const MAX_KEPT_RUNS = 5000;

const runs = {
  map: new Map(),          // run_id -> list item (or richer snapshot)
  maxUpdatedAt: 0,
  gen: 0,                  // bumps on every initial load; stale responses are dropped
  initialInFlight: false,
  deltaInFlight: false,
  loaded: false,
};

const filters = {
  status: "", flow: "", tag: "", runId: "", workerId: "",
  sortKey: "ops_default", sortDir: "desc", limit: 50,
};

function readFilters() {
  const st = $("#fStatus").value;
  filters.status = st && st !== "ALL" ? st : "";
  filters.flow = $("#fFlow").value.trim();
  filters.tag = $("#fTag").value.trim();
  filters.runId = $("#fRunId").value.trim().toLowerCase();
  filters.workerId = $("#fWorkerId").value.trim().toLowerCase();
  filters.sortKey = $("#fSortKey").value || "ops_default";
  const dirEl = $("#fSortDir");
  if (filters.sortKey === "ops_default") {
    dirEl.value = "desc";
    dirEl.disabled = true;
  } else {
    dirEl.disabled = false;
  }
  filters.sortDir = dirEl.value === "asc" ? "asc" : "desc";
  let lim = parseInt($("#fLimit").value, 10);
  if (!Number.isFinite(lim)) lim = 50;
  lim = Math.min(200, Math.max(1, lim));
  $("#fLimit").value = String(lim);
  filters.limit = lim;
}

const LS_FILTERS_MORE = "pyoco.filters_more";

function renderFiltersMore() {
  const extra = $("#filtersExtra");
  const btn = $("#filtersMore");
  const open = !extra.hidden;
  btn.setAttribute("aria-expanded", String(open));
  btn.querySelector("[data-i18n]").textContent = t(open ? "filters.fewer" : "filters.more");
  // how many of the folded filters are not at their defaults
  let n = 0;
  if ($("#fRunId").value.trim()) n++;
  if ($("#fWorkerId").value.trim()) n++;
  if (String($("#fLimit").value) !== "50") n++;
  if ($("#fSortKey").value !== "ops_default") n++;
  $("#filtersMoreCount").textContent = !open && n ? ` (${n})` : "";
}

function setFiltersMore(open, remember = true) {
  $("#filtersExtra").hidden = !open;
  if (remember) lsSet(LS_FILTERS_MORE, open ? "1" : "");
  renderFiltersMore();
}

function runsQuery(updatedAfter, cursor) {
  const p = new URLSearchParams();
  if (filters.status) p.set("status", filters.status);
  if (filters.flow) p.set("flow", filters.flow);
  if (filters.tag) p.set("tag", filters.tag);
  p.set("limit", String(filters.limit));
  p.set("updated_after", String(updatedAfter));
  if (cursor) p.set("cursor", cursor);
  return `/runs?${p}`;
}

/**
 * Merge one run into the local index (newest updated_at wins). Only list responses advance
 * maxUpdatedAt (the delta cursor): a newer snapshot seen through the watch must not make the
 * next delta poll skip other runs that changed in between.
 */
function mergeRun(item, fromList = true) {
  if (!item || !item.run_id) return false;
  const prev = runs.map.get(item.run_id);
  const u = num(item.updated_at);
  if (prev && num(prev.updated_at) > u) return false;
  runs.map.set(item.run_id, prev ? { ...prev, ...item } : item);
  if (fromList && u > runs.maxUpdatedAt) runs.maxUpdatedAt = u;
  return true;
}

function pruneRuns() {
  if (runs.map.size <= MAX_KEPT_RUNS) return;
  // Drop the oldest finished runs first; never the selected one.
  const finished = [...runs.map.values()]
    .filter((r) => isTerminal(r.status) && r.run_id !== detail.runId)
    .sort((a, b) => num(a.updated_at) - num(b.updated_at));
  let excess = runs.map.size - MAX_KEPT_RUNS;
  for (const r of finished) {
    if (excess-- <= 0) break;
    runs.map.delete(r.run_id);
  }
}

async function fetchRunPages(updatedAfter, maxPages, gen) {
  let cursor = null;
  let changed = false;
  for (let page = 0; page < maxPages; page++) {
    const body = await apiJson(runsQuery(updatedAfter, cursor));
    if (gen !== runs.gen) return null;
    const items = Array.isArray(body) ? body : Array.isArray(body.items) ? body.items : [];
    for (const it of items) if (mergeRun(it)) changed = true;
    cursor = !Array.isArray(body) && body.next_cursor ? body.next_cursor : null;
    if (!cursor || items.length === 0) break;
  }
  return changed;
}

async function refreshRunsInitial() {
  readFilters();
  const gen = ++runs.gen;
  runs.map.clear();
  runs.maxUpdatedAt = 0;
  runs.loaded = false;
  runs.initialInFlight = true;
  renderRuns();
  try {
    await fetchRunPages(0, MAX_INITIAL_PAGES, gen);
    if (gen !== runs.gen) return;
    runs.loaded = true;
    clearError("runs");
    markUpdated();
  } catch (e) {
    if (gen === runs.gen) setError("runs", e);
  } finally {
    if (gen === runs.gen) {
      runs.initialInFlight = false;
      renderRuns();
    }
  }
}

async function refreshRunsDelta() {
  if (runs.deltaInFlight || runs.initialInFlight) return;
  if (!runs.loaded) {
    // the initial load failed (e.g. 401 before a key was applied): retry it
    return refreshRunsInitial();
  }
  runs.deltaInFlight = true;
  const gen = runs.gen;
  try {
    const changed = await fetchRunPages(runs.maxUpdatedAt, MAX_DELTA_PAGES, gen);
    if (changed == null) return;
    clearError("runs");
    markUpdated();
    if (changed) {
      pruneRuns();
      renderRuns();
    }
  } catch (e) {
    if (gen === runs.gen) setError("runs", e);
  } finally {
    runs.deltaInFlight = false;
  }
}

function opsRank(s) {
  const u = normStatus(s);
  if (u === "RUNNING" || u === "CANCELLING" || u === "PENDING") return 0;
  if (u === "FAILED" || u === "CANCELLED") return 1;
  if (u === "COMPLETED") return 2;
  return 3;
}
function opsRecency(r) {
  if (ACTIVE.has(normStatus(r.status))) return num(r.updated_at) || num(r.start_time);
  return num(r.end_time) || num(r.updated_at);
}
function cmpRunId(a, b) { return String(b.run_id).localeCompare(String(a.run_id)); }

function sortRuns(list) {
  const key = filters.sortKey;
  const dir = filters.sortDir === "asc" ? 1 : -1;
  const tie = (a, b) => (num(b.updated_at) - num(a.updated_at)) || cmpRunId(a, b);
  if (key === "ops_default") {
    return list.sort((a, b) => (opsRank(a.status) - opsRank(b.status)) || (opsRecency(b) - opsRecency(a)) || cmpRunId(a, b));
  }
  if (key === "updated_at" || key === "start_time" || key === "end_time") {
    return list.sort((a, b) => {
      const va = num(a[key]);
      const vb = num(b[key]);
      const ha = va > 0;
      const hb = vb > 0;
      if (ha !== hb) return ha ? -1 : 1; // rows with a value first, whatever the direction
      if (ha && va !== vb) return (va - vb) * dir;
      return tie(a, b);
    });
  }
  return list.sort((a, b) => {
    const c = String(a[key] ?? "").toLowerCase().localeCompare(String(b[key] ?? "").toLowerCase());
    return c ? c * dir : tie(a, b);
  });
}

function visibleRuns() {
  const out = [];
  for (const r of runs.map.values()) {
    if (filters.status && normStatus(r.status) !== filters.status) continue;
    if (filters.runId && !String(r.run_id).toLowerCase().includes(filters.runId)) continue;
    if (filters.workerId && !String(r.worker_id || "").toLowerCase().includes(filters.workerId)) continue;
    out.push(r);
  }
  return sortRuns(out);
}

function renderRunStats(list) {
  const box = $("#runStats");
  box.replaceChildren();
  const chip = (cls, label, n, title) => h("span", { class: `stat-chip ${cls}`, title }, h("span", { class: "stat-label" }, label), h("b", null, String(n)));
  if (filters.status) {
    box.append(chip(`status-${statusClass(filters.status)}`, statusText(filters.status), list.length));
    return;
  }
  let active = 0, completed = 0, failed = 0;
  for (const r of list) {
    const s = normStatus(r.status);
    if (ACTIVE.has(s)) active++;
    else if (s === "COMPLETED") completed++;
    else if (s === "FAILED" || s === "CANCELLED") failed++;
  }
  box.append(
    chip("stat-all", t("stats.all"), list.length),
    chip("status-running", t("stats.active"), active, t("stats.activeTitle")),
    chip("status-completed", t("stats.completed"), completed),
    chip("status-failed", t("stats.failed"), failed, t("stats.failedTitle")),
  );
}

function renderRunItem(r) {
  const sel = r.run_id === detail.runId;
  const cls = statusClass(r.status);
  const li = h("li", {
    class: `run-item status-${cls}${sel ? " active" : ""}`,
    tabindex: "0",
    role: "button",
    "aria-current": sel ? "true" : null,
    "data-run-id": r.run_id,
    title: r.error ? String(r.error) : null,
  },
    h("span", { class: "run-icon", "aria-hidden": "true" }, statusIcon(r.status)),
    h("div", { class: "run-body" },
      h("div", { class: "run-top" },
        h("span", { class: "run-flow" }, r.flow_name || "-"),
        h("span", { class: `status-pill status-${cls}` }, statusText(r.status)),
      ),
      h("div", { class: "run-chips" },
        h("span", { class: "chip" }, t("run.chipFlow", { v: r.flow_name || "-" })),
        h("span", { class: "chip" }, t("run.chipTag", { v: r.tag || "-" })),
        r.worker_id ? h("span", { class: "chip chip-muted" }, r.worker_id) : null,
      ),
      h("div", { class: "run-bottom mono" }, t("run.bottom", { id: r.run_id, time: fmtTime(r.updated_at) })),
    ),
  );
  return li;
}

function renderRuns() {
  const list = visibleRuns();
  const ul = $("#runsList");
  const frag = document.createDocumentFragment();
  if (list.length === 0) {
    const err = errors.get("runs");
    if (err && !runs.initialInFlight) frag.append(h("li", { class: "empty-note is-error" }, `⚠ ${err.msg}`));
    else frag.append(h("li", { class: "empty-note" }, runs.initialInFlight ? t("runs.loading") : t("runs.empty")));
  } else {
    for (const r of list.slice(0, MAX_RENDERED_RUNS)) frag.append(renderRunItem(r));
    if (list.length > MAX_RENDERED_RUNS) {
      frag.append(h("li", { class: "empty-note" }, t("runs.truncated", { shown: MAX_RENDERED_RUNS, total: list.length })));
    }
  }
  const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.runId : null;
  ul.replaceChildren(frag);
  if (focusedId) {
    const again = ul.querySelector(`li[data-run-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  renderRunStats(list);
  $("#runsMeta").textContent = `visible=${Math.min(list.length, MAX_RENDERED_RUNS)}/${runs.map.size} | latest_ts=${runs.maxUpdatedAt.toFixed(3)}`;
  $("#runsPanel").classList.toggle("is-loading", runs.initialInFlight);
}

// ---------------------------------------------------------------------------
// Run detail + SSE watch
// ---------------------------------------------------------------------------

const detail = {
  runId: null,
  snap: null,
  token: 0,            // bumps on every selection; loops with an old token stop
  ctrl: null,          // AbortController of the current watch request
  watchRunning: false,
  lastEventId: null,
  watchState: "idle",
  cancelBusy: false,
  loadError: null,
};

const WATCH_CLASS = { idle: "wait", connecting: "wait", streaming: "live", reconnecting: "wait", retrying: "err", terminal: "wait" };

function setWatchState(state) {
  detail.watchState = state;
  const el = $("#watchState");
  el.textContent = t(`watch.${state}`);
  el.className = `watch-badge ${WATCH_CLASS[state] || "wait"}`;
  el.dataset.state = state;
}

/** Merge a snapshot into the selected detail; older snapshots never overwrite newer ones. */
function applySnapshot(snap, { force = false } = {}) {
  if (!snap || (detail.runId && snap.run_id && snap.run_id !== detail.runId)) return false;
  const cur = detail.snap;
  if (cur && !force && num(snap.updated_at) < num(cur.updated_at)) return false;
  detail.snap = cur ? { ...cur, ...snap } : { ...snap };
  // keep the list in step with what the detail shows
  if (mergeRun(detail.snap, false)) renderRuns();
  renderDetail();
  return true;
}

function selectRun(runId, { scroll = true } = {}) {
  if (!runId) return;
  stopWatch();
  detail.token++;
  detail.runId = runId;
  detail.snap = runs.map.get(runId) ? { ...runs.map.get(runId) } : { run_id: runId };
  detail.lastEventId = null;
  detail.loadError = null;
  detail.cancelBusy = false;
  try { history.replaceState(null, "", `#run=${encodeURIComponent(runId)}`); } catch { /* file:// etc. */ }
  for (const li of document.querySelectorAll("#runsList li.run-item")) {
    const on = li.dataset.runId === runId;
    li.classList.toggle("active", on);
    if (on) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
  }
  renderDetail();
  if (scroll && window.matchMedia("(max-width: 1100px)").matches) {
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    $("#detailPanel").scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
  }
  loadDetail(runId, detail.token);
}

async function loadDetail(runId, token) {
  setWatchState("connecting");
  try {
    const snap = await apiJson(`/runs/${encodeURIComponent(runId)}?include=records`);
    if (token !== detail.token) return;
    clearError("detail");
    applySnapshot(snap, { force: true });
  } catch (e) {
    if (token !== detail.token) return;
    detail.loadError = e.message;
    setError("detail", e);
    renderDetail();
  }
  if (token !== detail.token) return;
  if (detail.snap && isTerminal(detail.snap.status)) {
    setWatchState("terminal");
    return;
  }
  startWatch(runId, token);
}

function stopWatch() {
  if (detail.ctrl) {
    try { detail.ctrl.abort(); } catch { /* ignore */ }
  }
  detail.ctrl = null;
  detail.watchRunning = false;
}

/** Start the watch loop unless one is already running for this selection. */
function startWatch(runId, token) {
  if (detail.watchRunning && token === detail.token) return;
  detail.watchRunning = true;
  watchLoop(runId, token).finally(() => {
    if (token === detail.token) detail.watchRunning = false;
  });
}

const WATCH_STALL_MS = 25000; // server heartbeats every ~5 s; silence this long = dead connection

async function watchLoop(runId, token) {
  let retryDelay = 1200;
  const alive = () => token === detail.token && detail.runId === runId;
  setWatchState("connecting");
  while (alive()) {
    const ctrl = new AbortController();
    detail.ctrl = ctrl;
    let stallTimer = null;
    let stalled = false;
    const armStall = () => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(() => { stalled = true; ctrl.abort(); }, WATCH_STALL_MS);
    };
    let sawTerminal = false;
    try {
      const p = new URLSearchParams({ include: "records", timeout_sec: "600" });
      const since = num(detail.snap && detail.snap.updated_at);
      if (since > 0) p.set("since", String(since));
      const headers = { Accept: "text/event-stream" };
      if (detail.lastEventId) headers["Last-Event-ID"] = detail.lastEventId;
      armStall();
      const res = await api(`/runs/${encodeURIComponent(runId)}/watch?${p}`, { headers, signal: ctrl.signal });
      if (!alive()) return;
      setWatchState("streaming");
      clearError("watch");
      retryDelay = 1200;
      armStall();
      sawTerminal = await readSse(res.body, ctrl.signal, (ev) => {
        armStall();
        if (!alive()) return true;
        if (ev.event !== "snapshot") return false; // heartbeats only keep the stall timer happy
        let data;
        try { data = JSON.parse(ev.data); } catch { return false; }
        if (!data || (data.run_id && data.run_id !== runId)) return false;
        if (ev.id) detail.lastEventId = ev.id;
        const snap = data.snapshot || data;
        applySnapshot(snap);
        markUpdated();
        return isTerminal(snap.status);
      });
      clearTimeout(stallTimer);
      if (!alive()) return;
      if (sawTerminal || (detail.snap && isTerminal(detail.snap.status))) {
        setWatchState("terminal");
        ctrl.abort();
        return;
      }
      setWatchState("reconnecting");
      await sleep(900);
    } catch (e) {
      clearTimeout(stallTimer);
      if (!alive()) return;
      if (e && e.name === "AbortError" && !stalled) return;
      if (!stalled) setError("watch", e);
      setWatchState(stalled ? "reconnecting" : "retrying");
      await sleep(stalled ? 300 : retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    }
  }
}

/**
 * Read an SSE body. Calls onEvent({event, data, id}) per dispatched event;
 * returns true when onEvent returned true (stop requested), false at end of stream.
 */
async function readSse(body, signal, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let ev = { event: "", data: [], id: "" };
  const onAbort = () => { reader.cancel().catch(() => {}); };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        const sepLen = buf[nl] === "\r" && buf[nl + 1] === "\n" ? 2 : 1;
        // a lone \r at the very end might be the first half of \r\n: wait for more
        if (buf[nl] === "\r" && nl + 1 === buf.length) break;
        buf = buf.slice(nl + sepLen);
        if (line === "") {
          if (ev.data.length || ev.event) {
            const stop = onEvent({ event: ev.event || "message", data: ev.data.join("\n"), id: ev.id });
            if (stop) return true;
          }
          ev = { event: "", data: [], id: "" };
          continue;
        }
        if (line.startsWith(":")) { onEvent({ event: "comment", data: "", id: "" }); continue; }
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "event") ev.event = val;
        else if (field === "data") ev.data.push(val);
        else if (field === "id") ev.id = val;
      }
      if (signal.aborted) break;
    }
    if (signal.aborted) {
      const err = new Error("aborted");
      err.name = "AbortError";
      throw err;
    }
    return false;
  } finally {
    signal.removeEventListener("abort", onAbort);
    try { reader.releaseLock(); } catch { /* ignore */ }
  }
}

function pick(obj, keys) {
  const out = {};
  for (const k of keys) out[k] = obj[k] === undefined ? null : obj[k];
  return out;
}

function storyJson(s) {
  return pick(s, ["run_id", "status", "cancel_requested_at", "cancel_requested_by", "worker_id",
    "start_time", "end_time", "heartbeat_at", "updated_at", "tasks", "task_records_truncated", "error"]);
}
function recipeJson(s) {
  const sha = s.workflow_yaml_sha256 || null;
  const bytes = s.workflow_yaml_bytes ?? null;
  return {
    flow_name: s.flow_name ?? null,
    tag: s.tag ?? null,
    tags: s.tags ?? null,
    params: s.params ?? null,
    workflow_yaml: {
      available_in_snapshot: false,
      sha256: sha,
      bytes,
      note: sha || bytes ? t("recipe.noteSha") : t("recipe.noteFlow"),
    },
  };
}

function updateCancelButton() {
  const btn = $("#detailCancel");
  const s = detail.snap ? normStatus(detail.snap.status) : "";
  if (s === "CANCELLING" || (detail.cancelBusy && !isTerminal(s))) {
    btn.textContent = t("detail.cancelling");
    btn.disabled = true;
  } else {
    btn.textContent = t("detail.cancel");
    btn.disabled = !(detail.runId && (s === "PENDING" || s === "RUNNING"));
  }
}

function kv(label, ...value) {
  return h("div", { class: "kv" }, h("dt", null, label), h("dd", null, ...value));
}

function renderDetailSummary(s) {
  const box = $("#detailSummary");
  const st = normStatus(s.status);
  const cls = statusClass(st);
  const start = num(s.start_time);
  const end = num(s.end_time);
  let duration = "-";
  if (start > 0 && end > 0) duration = fmtDuration((end - start) * 1000);
  else if (start > 0 && !isTerminal(st)) duration = t("detail.running", { d: fmtDuration((Date.now() / 1000 - start) * 1000) });

  let workerVal = s.worker_id || "-";
  let workerNote = null;
  if (s.worker_id && s.worker_alive === true) workerNote = h("span", { class: "dot-note ok" }, t("detail.workerAlive"));
  else if (s.worker_id && s.worker_alive === false) {
    workerNote = h("span", { class: "dot-note bad" }, t("detail.workerGone", { state: workerStateText(s.worker_state) }));
  }

  const params = s.params && typeof s.params === "object" && Object.keys(s.params).length ? shortJson(s.params, 120) : null;
  box.replaceChildren(...[
    h("div", { class: `status-hero status-${cls}` },
      h("span", { class: "hero-icon", "aria-hidden": "true" }, statusIcon(st)),
      h("div", { class: "hero-text" },
        h("span", { class: "hero-status" }, statusText(st)),
        h("span", { class: "hero-flow" }, s.flow_name || "-"),
      ),
    ),
    h("dl", { class: "kv-grid" },
      kv(t("detail.tag"), s.tag || "-"),
      kv(t("detail.worker"), h("span", { class: "mono" }, workerVal), workerNote ? " " : null, workerNote),
      kv(t("detail.started"), fmtDateTime(s.start_time)),
      kv(t("detail.ended"), fmtDateTime(s.end_time)),
      kv(t("detail.duration"), duration),
      params ? kv(t("detail.params"), h("code", { class: "mono", title: params.long ? params.full : null }, params.text)) : null,
      s.cancel_requested_at ? kv(t("detail.cancelRequested"), fmtDateTime(s.cancel_requested_at),
        s.cancel_requested_by ? ` (${t("detail.cancelBy", { who: s.cancel_requested_by })})` : null) : null,
    ),
    s.error ? h("div", { class: "detail-error" }, h("strong", null, `${t("detail.error")}: `), String(s.error)) : null,
    detail.loadError ? h("div", { class: "detail-error" }, t("detail.loadFailed", { msg: detail.loadError })) : null,
  ].filter(Boolean));
}

function taskRows(s) {
  const records = s.task_records && typeof s.task_records === "object" ? s.task_records : {};
  const tasks = s.tasks && typeof s.tasks === "object" ? s.tasks : {};
  const names = new Set([...Object.keys(records), ...Object.keys(tasks)]);
  const rows = [...names].map((name) => {
    const rec = records[name] && typeof records[name] === "object" ? records[name] : {};
    const state = normStatus(rec.state || tasks[name] || "PENDING");
    let dur = rec.duration_ms;
    let live = false;
    if (dur == null && num(rec.started_at) > 0 && num(rec.ended_at) > 0) dur = (num(rec.ended_at) - num(rec.started_at)) * 1000;
    if (dur == null && state === "RUNNING" && num(rec.started_at) > 0 && !isTerminal(s.status)) {
      dur = Math.max(0, Date.now() / 1000 - num(rec.started_at)) * 1000;
      live = true;
    }
    return { name, state, rec, dur, live, started: num(rec.started_at) };
  });
  // execution order: finished, then running, then not yet run; by start time within a group
  const rank = { SUCCEEDED: 0, FAILED: 0, RUNNING: 1, CANCELLED: 2, PENDING: 3 };
  rows.sort((a, b) => {
    const ra = rank[a.state] ?? 2;
    const rb = rank[b.state] ?? 2;
    if (ra !== rb) return ra - rb;
    if (a.started > 0 && b.started > 0 && a.started !== b.started) return a.started - b.started;
    if ((a.started > 0) !== (b.started > 0)) return a.started > 0 ? -1 : 1;
    return a.name.localeCompare(b.name);
  });
  return rows;
}

function valueCell(value, key) {
  if (value === undefined || value === null) return h("span", { class: "muted" }, "-");
  const j = shortJson(value, 140);
  if (!j.long) return h("code", { class: "mono" }, j.text);
  return h("details", { class: "more", "data-key": key },
    h("summary", null, h("code", { class: "mono" }, j.text)),
    h("pre", { class: "json small" }, typeof value === "string" ? value : JSON.stringify(value, null, 2)),
  );
}

function renderDetailTasks(s) {
  const wrap = $("#detailTasksWrap");
  const box = $("#detailTasks");
  const rows = taskRows(s);
  wrap.hidden = false;
  // keep expanded outputs/tracebacks open across live re-renders
  const open = new Set([...box.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key));
  const children = [];
  if (s.task_records_truncated) children.push(h("p", { class: "note warn-note" }, t("detail.truncated")));
  if (rows.length === 0) {
    children.push(h("p", { class: "muted" }, t("detail.noTasks")));
  } else {
    children.push(h("ol", { class: "task-list" }, rows.map((r) => {
      const tcls = `tstate-${r.state.toLowerCase()}`;
      const stKey = `tstate.${r.state}`;
      const stText = t(stKey) === stKey ? r.state : t(stKey);
      const rec = r.rec;
      const hasInputs = rec.inputs && typeof rec.inputs === "object" && Object.keys(rec.inputs).length > 0;
      return h("li", { class: `task-item ${tcls}` },
        h("div", { class: "task-head" },
          h("span", { class: "task-name mono" }, r.name),
          h("span", { class: `task-state ${tcls}` }, stText),
          h("span", { class: "task-dur mono", title: t("task.duration") }, r.dur != null ? fmtDuration(r.dur) + (r.live ? "…" : "") : "-"),
        ),
        h("dl", { class: "task-fields" },
          hasInputs ? h("div", { class: "kv" }, h("dt", null, t("task.inputs")), h("dd", null, valueCell(rec.inputs, `${r.name}:inputs`))) : null,
          "output" in rec && rec.output !== null ? h("div", { class: "kv" }, h("dt", null, t("task.output")), h("dd", null, valueCell(rec.output, `${r.name}:output`))) : null,
          rec.error ? h("div", { class: "kv kv-error" }, h("dt", null, t("task.error")), h("dd", null, h("code", { class: "mono" }, String(rec.error)))) : null,
        ),
        rec.traceback ? h("details", { class: "more traceback", "data-key": `${r.name}:traceback` }, h("summary", null, t("task.traceback")), h("pre", { class: "json small" }, String(rec.traceback))) : null,
      );
    })));
  }
  box.replaceChildren(...children);
  for (const d of box.querySelectorAll("details[data-key]")) if (open.has(d.dataset.key)) d.open = true;
}

function renderDetail() {
  const s = detail.snap;
  const meta = $("#detailMeta");
  if (!detail.runId || !s) {
    meta.textContent = t("detail.empty");
    meta.dataset.i18n = "detail.empty";
    $("#detailSummary").hidden = true;
    $("#detailTasksWrap").hidden = true;
    $("#detailJson").textContent = "{}";
    $("#detailFlowJson").textContent = "{}";
    updateCancelButton();
    $("#detailPanel").classList.remove("has-run");
    return;
  }
  delete meta.dataset.i18n;
  meta.textContent = t("detail.meta", { id: s.run_id || detail.runId, status: statusText(s.status), time: fmtDateTime(s.updated_at) });
  $("#detailSummary").hidden = false;
  renderDetailSummary(s);
  renderDetailTasks(s);
  $("#detailJson").textContent = JSON.stringify(storyJson(s), null, 2);
  $("#detailFlowJson").textContent = JSON.stringify(recipeJson(s), null, 2);
  $("#detailPanel").classList.add("has-run");
  $("#detailPanel").dataset.status = normStatus(s.status);
  updateCancelButton();
}

async function cancelSelected() {
  const runId = detail.runId;
  const token = detail.token;
  if (!runId || detail.cancelBusy) return;
  detail.cancelBusy = true;
  updateCancelButton();
  try {
    const snap = await apiJson(`/runs/${encodeURIComponent(runId)}/cancel`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    if (token !== detail.token) return;
    clearError("cancel");
    applySnapshot(snap);
    markUpdated();
    if (!isTerminal(detail.snap && detail.snap.status)) startWatch(runId, token);
    else setWatchState("terminal");
  } catch (e) {
    if (token === detail.token) setError("cancel", e);
  } finally {
    if (token === detail.token) {
      detail.cancelBusy = false;
      updateCancelButton();
    }
  }
}

// ---------------------------------------------------------------------------
// Workers
// ---------------------------------------------------------------------------

const workers = { items: [], loaded: false, inFlight: null, queued: false, busy: new Set() };

function workersQuery() {
  const p = new URLSearchParams({ scope: "all" });
  const st = $("#wState").value;
  if (st && st !== "ALL") p.set("state", st);
  if ($("#wIncludeHidden").checked) p.set("include_hidden", "true");
  p.set("limit", "200");
  return `/workers?${p}`;
}

async function doRefreshWorkers() {
  try {
    const body = await apiJson(workersQuery());
    workers.items = Array.isArray(body) ? body : Array.isArray(body.items) ? body.items : [];
    workers.loaded = true;
    clearError("workers");
    markUpdated();
  } catch (e) {
    setError("workers", e);
  }
  renderWorkers();
}

/** Refresh workers; while one refresh is in flight, one more is queued (not stacked). */
function refreshWorkers() {
  if (workers.inFlight) {
    workers.queued = true;
    return workers.inFlight;
  }
  workers.inFlight = (async () => {
    do {
      workers.queued = false;
      await doRefreshWorkers();
    } while (workers.queued);
  })().finally(() => { workers.inFlight = null; });
  return workers.inFlight;
}

async function toggleWorkerHidden(w) {
  const id = w.worker_id;
  if (workers.busy.has(id)) return;
  workers.busy.add(id);
  renderWorkers();
  try {
    await apiJson(`/workers/${encodeURIComponent(id)}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ hidden: !w.hidden }),
    });
    clearError("workers-patch");
  } catch (e) {
    setError("workers-patch", e);
  } finally {
    workers.busy.delete(id);
  }
  // refresh and wait (bounded) for it to settle so the list reflects the toggle
  await Promise.race([refreshWorkers(), sleep(3000)]);
  renderWorkers();
}

function renderWorkerItem(w) {
  const state = normStatus(w.state);
  const scls = workerStateClass(state);
  const tags = Array.isArray(w.tags) ? w.tags : [];
  const seen = num(w.last_seen_at) || num(w.heartbeat_at);
  const py = w.pyoco && typeof w.pyoco === "object" ? w.pyoco : null;
  const isDouble = py && String(py.impl || "").toLowerCase() === "double";
  const ws = w.wheel_sync && typeof w.wheel_sync === "object" ? w.wheel_sync : null;
  const wsResult = ws && ws.last_result && ws.last_result !== "disabled" ? String(ws.last_result) : null;
  const busy = workers.busy.has(w.worker_id);
  return h("li", { class: `worker-item state-${scls}${w.hidden ? " is-hidden" : ""}`, "data-worker-id": w.worker_id },
    h("div", { class: "worker-top" },
      h("span", { class: "worker-id mono" }, w.worker_id),
      h("span", { class: `worker-state ${scls}`, title: state || "UNKNOWN" }, workerStateText(state)),
      w.hidden ? h("span", { class: "chip chip-hidden" }, t("workers.hidden")) : null,
      h("button", {
        class: "btn btn-ghost btn-small worker-toggle-hidden",
        type: "button",
        disabled: busy,
        title: t(w.hidden ? "workers.unhideTitle" : "workers.hideTitle", { id: w.worker_id }),
        onclick: () => toggleWorkerHidden(w),
      }, h("span", { class: "btn-icon", "aria-hidden": "true" }, w.hidden ? "↺" : "⊘"), " ", t(w.hidden ? "workers.unhide" : "workers.hide")),
    ),
    h("div", { class: "worker-line mono" }, t("workers.seen", { time: fmtTime(seen), tags: tags.join(",") })),
    state === "DISCONNECTED" ? h("div", { class: "worker-lost" }, `⚠ ${t("workers.lost")}`) : null,
    h("div", { class: "worker-line mono" }, t("workers.runLine", { cur: w.current_run_id || "-", last: w.last_run_status || "-" })),
    (py || wsResult) ? h("div", { class: "worker-chips" },
      py ? h("span", { class: "chip", title: py.impl ? `impl=${py.impl}` : null }, t("workers.pyoco", { version: py.version || "?" }) + (py.impl && !isDouble ? ` · ${py.impl}` : "")) : null,
      isDouble ? h("span", { class: "chip chip-double", title: t("workers.doubleTitle") }, `⚗ ${t("workers.double")}`) : null,
      wsResult ? h("span", { class: `chip ${wsResult === "error" ? "chip-bad" : ""}`, title: ws.last_error || null }, t("workers.wheels", { state: wsResult })) : null,
    ) : null,
  );
}

function renderWorkers() {
  const ul = $("#workersList");
  if (!workers.loaded) {
    ul.replaceChildren();
    return;
  }
  if (workers.items.length === 0) {
    ul.replaceChildren(h("li", { class: "empty-note" }, t("workers.empty")));
    return;
  }
  ul.replaceChildren(...workers.items.map(renderWorkerItem));
}

// ---------------------------------------------------------------------------
// Metrics (Prometheus text) and queues
// ---------------------------------------------------------------------------

const metrics = { running: null, completedToday: null, failedToday: null, waiting: null, workersAlive: null };

function parseProm(text) {
  const out = [];
  for (const raw of String(text).split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
      let lm;
      while ((lm = re.exec(m[2]))) labels[lm[1]] = lm[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    const value = Number(m[3]);
    if (Number.isFinite(value)) out.push({ name: m[1], labels, value });
  }
  return out;
}

function sampleValue(samples, name, labels) {
  let found = false, total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (labels && !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    found = true;
    total += s.value;
  }
  return found ? total : null;
}

async function refreshMetrics() {
  try {
    const res = await api("/metrics");
    const samples = parseProm(await res.text());
    metrics.running = sampleValue(samples, "pyoco_runs_total", { status: "RUNNING" }) ?? 0;
    metrics.completedToday = sampleValue(samples, "pyoco_runs_today_total", { status: "COMPLETED" }) ?? 0;
    metrics.failedToday = sampleValue(samples, "pyoco_runs_today_total", { status: "FAILED" }) ?? 0;
    metrics.waiting = sampleValue(samples, "pyoco_queue_waiting");
    metrics.workersAlive = sampleValue(samples, "pyoco_workers_alive_total");
    clearError("metrics");
    markUpdated();
  } catch (e) {
    setError("metrics", e);
  }
  renderKpis();
}

function renderKpis() {
  const set = (id, v) => { $(id).textContent = v == null ? "-" : fmtInt(v); };
  set("#kpiRunning", metrics.running);
  set("#kpiCompletedToday", metrics.completedToday);
  set("#kpiFailedToday", metrics.failedToday);
  set("#kpiWaiting", metrics.waiting);
  set("#kpiWorkersAlive", metrics.workersAlive);
  $("#kpiWaitingTile").hidden = metrics.waiting == null;
  $("#kpiWorkersTile").hidden = metrics.workersAlive == null;
  $("#kpiFailedToday").closest(".kpi").classList.toggle("is-hot", num(metrics.failedToday) > 0);
  $("#kpiWaitingTile").classList.toggle("is-hot", num(metrics.waiting) > 0 && queues.warnings.length > 0);
}

const queues = { items: [], loaded: false, unsupported: false, warnings: [] };

async function refreshQueues() {
  if (queues.unsupported) return;
  try {
    const body = await apiJson("/queues");
    queues.items = Array.isArray(body) ? body : Array.isArray(body.items) ? body.items : [];
    queues.loaded = true;
    clearError("queues");
    markUpdated();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
      // an older gateway without the additive /queues endpoint: hide the card quietly
      queues.unsupported = true;
      queues.items = [];
      clearError("queues");
    } else {
      setError("queues", e);
    }
  }
  renderQueues();
}

function renderQueues() {
  const card = $("#queuesCard");
  card.hidden = queues.unsupported;
  const items = [...queues.items].sort((a, b) => String(a.tag).localeCompare(String(b.tag)));
  queues.warnings = items.filter((q) => num(q.workers) === 0 && num(q.waiting) > 0);

  const banner = $("#queueWarnings");
  if (queues.warnings.length) {
    banner.replaceChildren(...queues.warnings.map((q) => h("p", { class: "queue-warning", "data-tag": q.tag },
      h("span", { class: "warn-icon", "aria-hidden": "true" }, "⚠"),
      num(q.waiting) === 1 ? t("queues.warnOne", { tag: q.tag }) : t("queues.warn", { tag: q.tag, waiting: fmtInt(q.waiting) }),
    )));
    banner.hidden = false;
  } else {
    banner.replaceChildren();
    banner.hidden = true;
  }

  const box = $("#queuesList");
  if (!queues.loaded) { box.replaceChildren(); return; }
  if (items.length === 0) {
    box.replaceChildren(h("p", { class: "muted" }, t("queues.empty")));
    return;
  }
  box.replaceChildren(h("table", { class: "queues-table" },
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, t("queues.tag")),
      h("th", { scope: "col", class: "num" }, t("queues.workers")),
      h("th", { scope: "col", class: "num" }, t("queues.waiting")),
      h("th", { scope: "col", class: "num" }, t("queues.unacked")),
    )),
    h("tbody", null, items.map((q) => {
      const starving = num(q.workers) === 0 && num(q.waiting) > 0;
      return h("tr", { class: starving ? "starving" : null, "data-tag": q.tag },
        h("td", { class: "mono" }, starving ? `⚠ ${q.tag}` : String(q.tag)),
        h("td", { class: "num" }, fmtInt(q.workers)),
        h("td", { class: "num" }, fmtInt(q.waiting)),
        h("td", { class: "num" }, fmtInt(q.unacknowledged)),
      );
    })),
  ));
  renderKpis();
}

// ---------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------

function renderAll() {
  applyStaticI18n();
  renderFiltersMore();
  renderRuns();
  renderDetail();
  setWatchState(detail.watchState);
  renderWorkers();
  renderKpis();
  renderQueues();
  renderLastUpdate();
  renderErrorLine();
}

function setLang(next, { remember = true } = {}) {
  const l = normLang(next) || "en";
  lang = l;
  if (remember) lsSet(LS_LANG, l);
  renderAll();
}

function bindEvents() {
  $("#langSwitch").addEventListener("change", (e) => setLang(e.target.value));

  $("#authForm").addEventListener("submit", (e) => {
    e.preventDefault();
    auth.header = $("#apiHeader").value.trim() || "X-API-Key";
    auth.key = $("#apiKey").value;
    $("#apiHeader").value = auth.header;
    lsSet(LS_AUTH_HEADER, auth.header);
    lsSet(LS_AUTH_KEY, auth.key);
    errors.clear();
    renderErrorLine();
    refreshRunsInitial();
    refreshWorkers();
    refreshMetrics();
    refreshQueues();
    if (detail.runId) selectRun(detail.runId, { scroll: false });
  });

  $("#filtersMore").addEventListener("click", () => setFiltersMore($("#filtersExtra").hidden));
  $("#runsFilters").addEventListener("input", renderFiltersMore);
  $("#runsFilters").addEventListener("change", renderFiltersMore);

  $("#runsFilters").addEventListener("submit", (e) => {
    e.preventDefault();
    refreshRunsInitial();
  });
  // server-side filter: reload at once when the status select changes
  $("#fStatus").addEventListener("change", () => refreshRunsInitial());
  // client-side only: re-render immediately
  for (const id of ["#fRunId", "#fWorkerId"]) {
    $(id).addEventListener("input", () => { readFilters(); renderRuns(); });
  }
  for (const id of ["#fSortKey", "#fSortDir"]) {
    $(id).addEventListener("change", () => { readFilters(); renderRuns(); });
  }

  const list = $("#runsList");
  list.addEventListener("click", (e) => {
    const li = e.target.closest("li.run-item");
    if (li && li.dataset.runId) selectRun(li.dataset.runId);
  });
  list.addEventListener("keydown", (e) => {
    const li = e.target.closest("li.run-item");
    if (!li) return;
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      selectRun(li.dataset.runId);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = e.key === "ArrowDown" ? li.nextElementSibling : li.previousElementSibling;
      if (next && next.classList.contains("run-item")) next.focus();
    }
  });

  $("#detailCancel").addEventListener("click", cancelSelected);

  $("#wState").addEventListener("change", () => refreshWorkers());
  $("#wIncludeHidden").addEventListener("change", () => refreshWorkers());

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      refreshRunsDelta();
      refreshWorkers();
      refreshMetrics();
      refreshQueues();
    }
  });
}

function every(ms, fn) {
  setInterval(() => {
    if (document.visibilityState === "hidden") return; // save the server work while nobody looks
    fn();
  }, ms);
}

function boot() {
  applyStaticI18n();
  $("#apiHeader").value = auth.header;
  $("#apiKey").value = auth.key;
  bindEvents();
  setFiltersMore(lsGet(LS_FILTERS_MORE) === "1", false);
  readFilters();
  setWatchState("idle");
  renderDetail();
  renderRuns();
  renderLastUpdate();

  refreshRunsInitial().then(() => {
    const m = /^#run=(.+)$/.exec(location.hash);
    if (m) selectRun(decodeURIComponent(m[1]), { scroll: false });
  });
  refreshWorkers();
  refreshMetrics();
  refreshQueues();

  every(2000, refreshRunsDelta);
  every(5000, refreshWorkers);
  every(10000, refreshMetrics);
  every(10000, refreshQueues);
  // keep relative texts ("running for …") fresh without a server round-trip
  every(1000, () => {
    if (detail.snap && normStatus(detail.snap.status) === "RUNNING" && num(detail.snap.start_time) > 0) {
      renderDetailSummary(detail.snap);
      renderDetailTasks(detail.snap);
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();

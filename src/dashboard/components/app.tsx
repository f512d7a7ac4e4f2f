/**
 * The page: header (title, sections, language, API key), the queue warning banner, the active
 * section, and the status bar. The section and the selected run live in the URL hash
 * (`#run=<id>`, `#view=dlq`), so a reload or a shared link comes back to the same place.
 */
import { useEffect, useState } from "preact/hooks";
import type { DashboardApi } from "../api.ts";
import { clockTime } from "../format.ts";
import { useNow, usePoll } from "../hooks.ts";
import { langStore, setLang, t, type TextKey } from "../i18n.ts";
import type { RunsFeed } from "../runs-feed.ts";
import { statusStore } from "../status.ts";
import { useStore } from "../store.ts";
import { AuthDialog, authDialogOpen } from "./auth.tsx";
import { ConfirmHost } from "./common.tsx";
import { RunDetail } from "./detail.tsx";
import { DlqPanel } from "./dlq.tsx";
import { RunsPanel } from "./runs.tsx";
import { SchedulesPanel } from "./schedules.tsx";
import { WheelsPanel } from "./wheels.tsx";
import { QueueWarnings, WorkersPanel } from "./workers.tsx";

export const VIEWS = ["runs", "dlq", "workers", "wheels", "schedules"] as const;
export type View = (typeof VIEWS)[number];

const VIEW_LABEL: Record<View, TextKey> = {
  runs: "nav.runs", dlq: "nav.dlq", workers: "nav.workers", wheels: "nav.wheels", schedules: "nav.schedules",
};

export interface Route { view: View; runId: string | null }

export function parseHash(hash: string): Route {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const runId = params.get("run");
  if (runId) return { view: "runs", runId };
  const view = params.get("view") as View | null;
  return { view: view && (VIEWS as readonly string[]).includes(view) ? view : "runs", runId: null };
}

function navigate(hash: string): void {
  history.pushState(null, "", hash ? `#${hash}` : location.pathname + location.search);
  dispatchEvent(new HashChangeEvent("hashchange"));
}

export function App({ api, feed }: { api: DashboardApi; feed: RunsFeed }) {
  const lang = useStore(langStore);
  const [route, setRoute] = useState(() => parseHash(location.hash));
  const now = useNow(1000);
  const queues = usePoll(api, "queues", (s) => api.queues(s), 10_000);

  useEffect(() => { document.documentElement.lang = lang; }, [lang]);
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", on);
    addEventListener("popstate", on);
    return () => { removeEventListener("hashchange", on); removeEventListener("popstate", on); };
  }, []);
  // On a narrow screen the detail replaces the list: start it at the top.
  useEffect(() => { if (route.runId) document.querySelector("#detailPanel")?.scrollTo?.(0, 0); }, [route.runId]);

  const select = (runId: string) => navigate(`run=${encodeURIComponent(runId)}`);
  return (
    <>
      <a class="skip-link" href="#runsList" onClick={(e) => { e.preventDefault(); (document.querySelector("#runsList tr") as HTMLElement | null)?.focus(); }}>{t("a11y.skip")}</a>
      <header class="topbar">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">▶</span>
          <h1>Pyoco Control Deck</h1>
          <p class="subtitle">{t("header.subtitle")}</p>
        </div>
        <nav class="tabs" aria-label={t("nav.label")}>
          {VIEWS.map((v) => (
            <a id={`tab-${v}`} class={`tab${route.view === v ? " is-on" : ""}`} href={`#view=${v}`} aria-current={route.view === v ? "page" : undefined}
              onClick={(e) => { e.preventDefault(); navigate(v === "runs" ? "" : `view=${v}`); }}>{t(VIEW_LABEL[v])}</a>
          ))}
        </nav>
        <div class="tools">
          <select id="langSwitch" aria-label={t("header.language")} value={lang} onChange={(e) => setLang(e.currentTarget.value === "ja" ? "ja" : "en")}>
            <option value="en">English</option>
            <option value="ja">日本語</option>
          </select>
          <KeyButton api={api} />
        </div>
      </header>
      <QueueWarnings rows={queues.data?.items} />
      <main class={`deck view-${route.view}${route.runId ? " has-selection" : ""}`}>
        {route.view === "runs" && (
          <>
            <RunsPanel feed={feed} selectedId={route.runId} onSelect={select} now={now} />
            {route.runId && <RunDetail key={route.runId} api={api} feed={feed} runId={route.runId} now={now} onBack={() => navigate("")} />}
          </>
        )}
        {route.view === "dlq" && <DlqPanel api={api} now={now} />}
        {route.view === "workers" && <WorkersPanel api={api} queues={queues} now={now} />}
        {route.view === "wheels" && <WheelsPanel api={api} now={now} />}
        {route.view === "schedules" && <SchedulesPanel api={api} feed={feed} now={now} />}
      </main>
      <StatusBar />
      <AuthDialog api={api} />
      <ConfirmHost />
    </>
  );
}

function KeyButton({ api }: { api: DashboardApi }) {
  const need = useStore(api.authNeed);
  useStore(api.authVersion);
  return (
    <button id="authOpen" type="button" aria-label={t("header.apiKey")} title={t("header.apiKey")} class={`btn btn-ghost btn-small key-btn${need ? " needs-key" : ""}${api.auth.key ? " has-key" : ""}`}
      onClick={() => authDialogOpen.set(true)}>
      <svg aria-hidden="true" viewBox="0 0 24 24" width="14" height="14" fill="none" stroke="currentColor" stroke-width="2"><circle cx="8" cy="15" r="4" /><path d="M11 12l9-9M17 6l3 3M15 8l2 2" /></svg>
      <span class="key-label">{t("header.apiKey")}</span>
    </button>
  );
}

function StatusBar() {
  const lang = useStore(langStore);
  const s = useStore(statusStore);
  const errors = [...new Set(Object.values(s.errors))];
  return (
    <footer class="statusbar">
      <span id="lastUpdate">{t("footer.lastUpdate", { time: s.lastUpdate ? clockTime(s.lastUpdate, lang) : t("footer.never") })}</span>
      <span id="errorLine" role="status" class={errors.length ? "has-error" : ""}>{errors.join(" · ")}</span>
    </footer>
  );
}

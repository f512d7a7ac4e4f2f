/**
 * The run's live log pane: loads what is stored (`GET /runs/{id}/logs`, paging on `next_seq`),
 * then follows `GET /runs/{id}/logs/watch` (SSE, resumed with `Last-Event-ID` = the last seq
 * seen) until the server sends "end". Lines are de-duplicated by seq, so a resume that repeats
 * lines does no harm. A gateway without the endpoint (404) gets a short "not available" note.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { errorText, isAbort, isUnavailable, type DashboardApi, type LogLine } from "../api.ts";
import { absoluteTime, clockTime } from "../format.ts";
import { langStore, t, tExact } from "../i18n.ts";
import { sleep } from "../../lib/async.ts";
import { useStore } from "../store.ts";
import { memo, Note } from "./common.tsx";

/** Lines kept in the page; older ones are dropped from view (they stay on the server). */
const MAX_LINES = 5000;
const MAX_PAGES = 20;

interface LogState {
  lines: LogLine[];
  dropped: number;
  ended: boolean;
  unavailable: boolean;
  error: string | null;
}

const EMPTY: LogState = { lines: [], dropped: 0, ended: false, unavailable: false, error: null };

export const LogPane = memo(LogPaneView);

function LogPaneView({ api, runId }: { api: DashboardApi; runId: string }) {
  const lang = useStore(langStore);
  const authVersion = useStore(api.authVersion);
  const [state, setState] = useState<LogState>(EMPTY);
  const [follow, setFollow] = useState(true);
  const [task, setTask] = useState("");
  const paneRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const ac = new AbortController();
    const signal = ac.signal;
    let lastSeq = -1;
    let acc: LogState = { ...EMPTY };
    setState(acc);
    const push = (items: LogLine[], patch: Partial<LogState> = {}) => {
      const fresh = items.filter((l) => typeof l?.seq === "number" && l.seq > lastSeq);
      for (const l of fresh) lastSeq = Math.max(lastSeq, l.seq);
      let lines = fresh.length ? acc.lines.concat(fresh) : acc.lines;
      if (lines.length > MAX_LINES) lines = lines.slice(lines.length - MAX_LINES);
      const dropped = acc.dropped + fresh.reduce((n, l) => n + (l.stream === "system" && typeof l.dropped === "number" ? l.dropped : 0), 0);
      acc = { ...acc, lines, dropped, error: null, ...patch };
      setState(acc);
    };

    (async () => {
      // What is stored so far.
      try {
        let since: number | null = null;
        for (let page = 0; page < MAX_PAGES && !signal.aborted; page++) {
          const res = await api.runLogs(runId, since, signal);
          push(res.items ?? [], { dropped: Math.max(acc.dropped, res.dropped ?? 0) });
          if (!res.next_seq || !(res.items ?? []).length) break;
          since = res.next_seq;
        }
      } catch (err) {
        if (signal.aborted || isAbort(err)) return;
        if (isUnavailable(err)) { acc = { ...acc, unavailable: true }; setState(acc); return; }
        acc = { ...acc, error: errorText(err) }; setState(acc);
      }
      // Then live, until "end".
      let backoff = 1000;
      while (!signal.aborted && !acc.ended) {
        try {
          for await (const ev of api.watchLogs(runId, { sinceSeq: lastSeq >= 0 ? lastSeq : null, signal })) {
            backoff = 1000;
            if (ev.line) push([ev.line]);
            else if (ev.event === "end") { push([], { ended: true }); break; }
          }
        } catch (err) {
          if (signal.aborted || isAbort(err)) return;
          if (isUnavailable(err)) { acc = { ...acc, unavailable: acc.lines.length === 0 }; setState(acc); return; }
          acc = { ...acc, error: errorText(err) }; setState(acc);
          backoff = Math.min(backoff * 2, 10_000);
        }
        if (!acc.ended) await sleep(backoff, signal);
      }
    })();
    return () => ac.abort();
  }, [api, runId, authVersion]);

  const shown = task ? state.lines.filter((l) => (l.task ?? "") === task) : state.lines;
  const tasks = [...new Set(state.lines.map((l) => l.task).filter((x): x is string => typeof x === "string" && x !== ""))];

  // Keep the newest line in view while following.
  useLayoutEffect(() => {
    const pane = paneRef.current;
    if (pane && follow) pane.scrollTop = pane.scrollHeight;
  }, [shown.length, follow]);

  return (
    <section class="card log-card" id="detailLogs">
      <div class="card-head">
        <h3>{t("logs.title")}</h3>
        {!state.unavailable && <span class="muted small" id="logCount">{t("logs.lines", { n: state.lines.length })}</span>}
        {!state.unavailable && tasks.length > 1 && (
          <select id="logTask" class="compact" aria-label={t("logs.allTasks")} value={task} onChange={(e) => setTask(e.currentTarget.value)}>
            <option value="">{t("logs.allTasks")}</option>
            {tasks.map((name) => <option value={name}>{name}</option>)}
          </select>
        )}
        {!state.unavailable && (
          <label class="check">
            <input id="logFollow" type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> {t("logs.follow")}
          </label>
        )}
      </div>
      {state.unavailable ? <Note kind="unavailable">{t("logs.unavailable")}</Note> : (
        <>
          {state.dropped > 0 && <Note>{t("logs.dropped", { n: state.dropped })}</Note>}
          {state.error && <Note kind="error">{state.error}</Note>}
          <div id="logPane" class="log-pane" role="log" aria-live="off" ref={paneRef}>
            {shown.length === 0 && !state.ended && <p class="muted log-empty">{t("logs.empty")}</p>}
            {shown.map((l) => (
              <div key={l.seq} class={`log-line stream-${l.stream} level-${String(l.level ?? "").toLowerCase()}`} data-seq={l.seq}>
                <span class="log-time" title={absoluteTime(l.ts, lang)}>{clockTime(l.ts, lang)}</span>
                <span class="log-task">{l.task ?? t("logs.runLevel")}</span>
                <span class="log-stream">{l.stream === "log" && l.level ? l.level : tExact("logs", l.stream)}</span>
                <span class="log-msg">{l.message}</span>
              </div>
            ))}
            {state.ended && <p class="muted log-end" id="logEnd">{t("logs.ended")}</p>}
          </div>
        </>
      )}
    </section>
  );
}

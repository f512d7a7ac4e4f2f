/**
 * Run detail: facts with human times, a task timeline, each task's inputs/output/error, the live
 * log pane and cancel with a confirmation. It loads `GET /runs/{id}?include=records`, then
 * follows `GET /runs/{id}/watch?include=records` (SSE over fetch, so the API key header can be
 * sent), resuming with `Last-Event-ID` + `since`, until the terminal snapshot.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { isTerminal } from "../../domain/run.ts";
import { sleep } from "../../lib/async.ts";
import { errorText, isAbort, isNotFound, type DashboardApi } from "../api.ts";
import { flowRecipe } from "../recipe.ts";
import { absoluteTime, epoch, formatBytes, formatDuration, prettyValue, shortValue } from "../format.ts";
import { langStore, statusText, t, taskStateText } from "../i18n.ts";
import type { RunsFeed } from "../runs-feed.ts";
import { canCancel, newerRun, runDurationMs, type RunRow } from "../runs-model.ts";
import { reportError, reportOk } from "../status.ts";
import { useStore } from "../store.ts";
import { axisTicks, buildTimeline, type TaskRow } from "../timeline.ts";
import { confirmAction, Note, SLOT, StatusBadge, statusClass, Time, WithSlot } from "./common.tsx";
import { LogPane } from "./logs.tsx";

export type WatchState = "idle" | "connecting" | "streaming" | "reconnecting" | "retrying" | "terminal";

interface DetailProps {
  api: DashboardApi;
  feed: RunsFeed;
  runId: string;
  now: number;
  onBack: () => void;
}

export function RunDetail({ api, feed, runId, now, onBack }: DetailProps) {
  useStore(langStore);
  const authVersion = useStore(api.authVersion);
  const [run, setRun] = useState<RunRow | null>(() => feed.runs.get(runId) ?? null);
  const [watch, setWatch] = useState<WatchState>("connecting");
  const [missing, setMissing] = useState(false);
  const [cancelBusy, setCancelBusy] = useState(false);
  // The newest version seen from any source (load, watch, cancel answer).
  const current = useRef<RunRow | null>(run);
  const apply = (snap: RunRow) => {
    if (!snap || snap.run_id !== runId) return;
    current.current = newerRun(current.current, snap);
    setRun(current.current);
    feed.mergeSnapshot(snap);
  };

  useEffect(() => {
    const ac = new AbortController();
    const signal = ac.signal;
    setMissing(false);
    (async () => {
      setWatch("connecting");
      try {
        apply(await api.getRun(runId, signal));
      } catch (err) {
        if (signal.aborted || isAbort(err)) return;
        if (isNotFound(err)) { setMissing(true); setWatch("idle"); return; }
        reportError("detail", errorText(err));
      }
      let lastEventId: string | null = null;
      while (!signal.aborted) {
        if (isTerminal(current.current?.status)) { setWatch("terminal"); return; }
        try {
          const since = epoch(current.current?.updated_at) ?? undefined;
          for await (const ev of api.watchRun(runId, { since, lastEventId, signal })) {
            if (ev.id) lastEventId = ev.id;
            setWatch("streaming");
            if (ev.event === "snapshot" && ev.data?.snapshot) {
              apply(ev.data.snapshot as RunRow);
              if (isTerminal(current.current?.status)) { setWatch("terminal"); return; }
            }
          }
          if (signal.aborted) return;
          reportOk("detail");
          setWatch("reconnecting");
          await sleep(900, signal);
        } catch (err) {
          if (signal.aborted || isAbort(err)) return;
          reportError("detail", errorText(err));
          setWatch("retrying");
          await sleep(1200, signal);
        }
      }
    })();
    return () => ac.abort();
  }, [api, feed, runId, authVersion]);

  const onCancel = async () => {
    if (!run) return;
    const ok = await confirmAction({
      title: t("confirm.cancelTitle"),
      body: t("confirm.cancelBody", { id: run.run_id, flow: String(run.flow_name ?? "") }),
      yes: "confirm.cancelYes", no: "confirm.keep",
    });
    if (!ok) return;
    setCancelBusy(true);
    try {
      apply(await api.cancelRun(run.run_id));
      reportOk("cancel");
    } catch (err) {
      reportError("cancel", errorText(err));
    } finally {
      setCancelBusy(false);
    }
  };

  const status = run?.status ?? "";
  const cancellable = canCancel(status) && !cancelBusy;
  return (
    <section id="detailPanel" class="panel detail-panel" aria-labelledby="detailTitle">
      <div class="panel-head">
        <button id="detailBack" type="button" class="btn btn-ghost btn-small back-btn" onClick={onBack}>← {t("detail.back")}</button>
        <h2 id="detailTitle">{run?.flow_name ? String(run.flow_name) : t("detail.title")}</h2>
        {run && <StatusBadge status={status} />}
        <span id="watchState" data-state={watch} class={`watch watch-${watch}`}>{t(`watch.${watch}`)}</span>
        <button id="detailCancel" type="button" class="btn btn-danger btn-small" disabled={!cancellable} onClick={onCancel}>
          {status === "CANCELLING" || cancelBusy ? t("detail.cancelling") : t("detail.cancel")}
        </button>
      </div>
      {missing ? <Note kind="error">{t("detail.notFound", { id: runId })}</Note> : !run ? <Note>{t("detail.loading")}</Note> : (
        <div class="detail-body">
          <p id="detailMeta" class="meta">
            <code class="mono">{run.run_id}</code> · <span>{statusText(status)}</span> · <WithSlot text={t("detail.updated", { time: SLOT })} slot={<Time ts={run.updated_at} now={now} />} />
          </p>
          <Facts run={run} now={now} />
          <TimelineView run={run} now={now} />
          <Tasks run={run} />
          <LogPane api={api} runId={run.run_id} />
          <details class="raw">
            <summary>{t("detail.recipe")}</summary>
            <pre id="detailFlowJson" class="json">{JSON.stringify(flowRecipe(run), null, 2)}</pre>
          </details>
          <details class="raw">
            <summary>{t("detail.raw")}</summary>
            <pre id="detailJson" class="json">{JSON.stringify(run, null, 2)}</pre>
          </details>
        </div>
      )}
    </section>
  );
}

function Facts({ run, now }: { run: RunRow; now: number }) {
  const lang = useStore(langStore);
  const duration = runDurationMs(run, now);
  const params = run.params && Object.keys(run.params).length ? shortValue(run.params, 200).text : null;
  const aliveKnown = typeof run.worker_alive === "boolean";
  const cancelAt = epoch(run.cancel_requested_at);
  return (
    <dl class="facts" id="detailFacts">
      <div><dt>{t("fact.tag")}</dt><dd>{run.tag ? String(run.tag) : "—"}</dd></div>
      <div>
        <dt>{t("fact.worker")}</dt>
        <dd>
          {run.worker_id ? <code class="mono">{String(run.worker_id)}</code> : "—"}
          {run.worker_id && aliveKnown && !isTerminal(run.status) && (
            <span class={`chip ${run.worker_alive ? "chip-ok" : "chip-bad"}`}>{t(run.worker_alive ? "detail.workerAlive" : "detail.workerGone")}</span>
          )}
        </dd>
      </div>
      <div><dt>{t("fact.started")}</dt><dd><Time ts={run.start_time} now={now} /></dd></div>
      <div><dt>{t("fact.ended")}</dt><dd><Time ts={run.end_time} now={now} /></dd></div>
      <div><dt>{t("fact.duration")}</dt><dd id="detailDuration">{duration === null ? "—" : formatDuration(duration, lang)}</dd></div>
      {typeof run.attempt === "number" && run.attempt > 1 && <div><dt>{t("fact.attempt")}</dt><dd>{run.attempt}</dd></div>}
      {params && <div class="wide"><dt>{t("fact.params")}</dt><dd><code class="mono">{params}</code></dd></div>}
      {cancelAt !== null && (
        <div class="wide">
          <dt>{t("fact.cancel")}</dt>
          <dd>{t("detail.cancelBy", { who: String(run.cancel_requested_by ?? "—"), when: absoluteTime(cancelAt, lang) })}{run.cancel_reason ? ` · ${String(run.cancel_reason)}` : ""}</dd>
        </div>
      )}
      {run.schedule_id && <div><dt>{t("fact.schedule")}</dt><dd><code class="mono">{String(run.schedule_id)}</code></dd></div>}
      {run.workflow_yaml_sha256 && (
        <div class="wide"><dt>{t("fact.yaml")}</dt><dd class="mono small">{t("detail.yaml", { sha: String(run.workflow_yaml_sha256).slice(0, 16) + "…", size: formatBytes(Number(run.workflow_yaml_bytes ?? 0)) })}</dd></div>
      )}
      {run.error && <div class="wide"><dt>{t("fact.error")}</dt><dd><pre class="error-text" id="detailError">{String(run.error)}</pre></dd></div>}
    </dl>
  );
}

function TimelineView({ run, now }: { run: RunRow; now: number }) {
  const lang = useStore(langStore);
  const tl = buildTimeline(run, now);
  const span = tl.start !== null && tl.end !== null ? tl.end - tl.start : 0;
  return (
    <section class="card" id="detailTimeline">
      <div class="card-head"><h3>{t("detail.timeline")}</h3>{tl.start !== null && <span class="muted small">{formatDuration(span * 1000, lang)}</span>}</div>
      {tl.start === null ? <p class="muted">{t("detail.noTimeline")}</p> : (
        <div class="timeline" role="list">
          <div class="tl-row tl-axis" aria-hidden="true">
            <span class="tl-name" />
            <div class="tl-track">
              {axisTicks(span).map((s) => (
                <span class="tl-tick" style={{ left: `${span > 0 ? (s / span) * 100 : 0}%` }}>{s === 0 ? "0" : `+${formatDuration(s * 1000, lang)}`}</span>
              ))}
            </div>
            <span class="tl-dur" />
          </div>
          {tl.tasks.map((task) => <TimelineRow task={task} />)}
        </div>
      )}
    </section>
  );
}

function TimelineRow({ task }: { task: TaskRow }) {
  const lang = useStore(langStore);
  const dur = task.durationMs === null ? "" : formatDuration(task.durationMs, lang);
  const title = [task.name, taskStateText(task.state), dur,
    task.started !== null ? absoluteTime(task.started, lang) : "", task.ended !== null && !task.live ? absoluteTime(task.ended, lang) : ""]
    .filter(Boolean).join(" · ");
  return (
    <div class="tl-row" role="listitem" data-task={task.name}>
      <span class="tl-name" title={task.name}>{task.name}</span>
      <div class="tl-track">
        {task.leftPct !== null && (
          <div class={`tl-bar status-${statusClass(task.state)}${task.live ? " is-live" : ""}`} title={title}
            style={{ left: `${task.leftPct}%`, width: `${task.widthPct}%` }} />
        )}
      </div>
      <span class="tl-dur">{dur}</span>
    </div>
  );
}

function Tasks({ run }: { run: RunRow }) {
  const lang = useStore(langStore);
  const tasks = buildTimeline(run, Date.now() / 1000).tasks;
  return (
    <section class="card" id="detailTasksWrap">
      <div class="card-head"><h3>{t("detail.tasks")}</h3></div>
      {run.task_records_truncated && <Note>{t("detail.truncated")}</Note>}
      {tasks.length === 0 ? <p class="muted">{t("detail.noTasks")}</p> : (
        <ul id="detailTasks" class="tasks">
          {tasks.map((task) => {
            const rec = task.record;
            const inputs = rec?.inputs && typeof rec.inputs === "object" ? Object.entries(rec.inputs) : [];
            const hasOutput = rec ? rec.output !== undefined && rec.output !== null : false;
            return (
              <li key={task.name} class={`task-item status-${statusClass(task.state)}`} data-task={task.name}>
                <details open={task.state === "FAILED"}>
                  <summary>
                    <span class="task-name">{task.name}</span>
                    <StatusBadge status={task.state} text={taskStateText(task.state)} />
                    <span class="task-dur muted">{task.durationMs === null ? "" : formatDuration(task.durationMs, lang)}</span>
                    {hasOutput && <code class="task-peek mono">{shortValue(rec!.output, 60).text}</code>}
                  </summary>
                  <div class="task-body">
                    <h4>{t("task.inputs")}</h4>
                    {inputs.length === 0 ? <p class="muted small">{t("task.noInputs")}</p> : (
                      <dl class="kv">{inputs.map(([k, v]) => <div><dt class="mono">{k}</dt><dd><ValueView value={v} /></dd></div>)}</dl>
                    )}
                    {hasOutput && <><h4>{t("task.output")}</h4><ValueView value={rec!.output} /></>}
                    {rec?.error && <><h4>{t("task.error")}</h4><pre class="error-text task-error">{String(rec.error)}</pre></>}
                    {rec?.traceback && (
                      <details class="traceback"><summary>{t("task.traceback")}</summary><pre class="error-text">{String(rec.traceback)}</pre></details>
                    )}
                  </div>
                </details>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function ValueView({ value }: { value: unknown }) {
  const s = shortValue(value, 160);
  if (!s.long) return <code class="mono value">{s.text}</code>;
  return <pre class="json small value">{prettyValue(value)}</pre>;
}

/**
 * Schedules (`GET /schedules`): what fires when, the last run with its status, pause/resume
 * (`POST /schedules/{id}/pause|resume`). The last run's status comes from the schedule record
 * when the gateway adds it, else from the runs feed.
 */
import { useState } from "preact/hooks";
import { errorText, type DashboardApi, type YamlSchedule } from "../api.ts";
import { absoluteTime, epoch, formatDuration } from "../format.ts";
import { usePoll } from "../hooks.ts";
import { langStore, t, tDynamic } from "../i18n.ts";
import type { RunsFeed } from "../runs-feed.ts";
import { reportError, reportOk } from "../status.ts";
import { useStore } from "../store.ts";
import { ErrorNote, Note, Panel, StatusBadge, Time } from "./common.tsx";

export function SchedulesPanel({ api, feed, now }: { api: DashboardApi; feed: RunsFeed; now: number }) {
  const lang = useStore(langStore);
  useStore(feed.store);
  const schedules = usePoll(api, "schedules", (s) => api.schedules(s), 5000);
  const [busy, setBusy] = useState<string | null>(null);

  const toggle = async (s: YamlSchedule) => {
    setBusy(s.schedule_id);
    try {
      await api.setSchedulePaused(s.schedule_id, s.status !== "PAUSED");
      reportOk("schedules");
    } catch (err) {
      reportError("schedules", errorText(err));
    } finally {
      setBusy(null);
      schedules.reload();
    }
  };

  const when = (s: YamlSchedule): string => {
    if (s.schedule_type === "cron") return t("stype.cron", { expr: s.cron ?? "?", tz: s.timezone ?? "UTC" });
    if (s.schedule_type === "interval") return t("stype.interval", { every: formatDuration((s.interval_seconds ?? 0) * 1000, lang) });
    const at = epoch(s.run_at);
    return t("stype.once", { time: at === null ? "—" : absoluteTime(at, lang) });
  };

  const items = schedules.data ?? [];
  return (
    <Panel id="schedulesPanel" title={t("sched.title")} unavailable={schedules.unavailable ? t("sched.unavailable") : null} explain={t("sched.explain")}>
      {(
          <>
            {schedules.error && <ErrorNote text={schedules.error} onRetry={schedules.reload} />}
            {schedules.data && items.length === 0 && <Note>{t("sched.empty")}</Note>}
            {items.length > 0 && (
              <div class="table-wrap">
                <table class="grid-table" id="schedulesTable">
                  <thead><tr>
                    <th>{t("sched.flow")}</th><th>{t("sched.when")}</th><th>{t("sched.status")}</th><th>{t("sched.next")}</th>
                    <th>{t("sched.lastRun")}</th><th class="num">{t("sched.fires")}</th><th>{t("sched.lastError")}</th><th />
                  </tr></thead>
                  <tbody>
                    {items.map((s) => {
                      const lastStatus = s.last_run_status ?? (s.last_run_id ? feed.runs.get(s.last_run_id)?.status : null);
                      return (
                        <tr class={`schedule-item sstatus-${s.status.toLowerCase()}`} data-schedule-id={s.schedule_id}>
                          <td>{s.flow_name}{s.tag ? <span class="chip">{s.tag}</span> : null}</td>
                          <td class="small">{when(s)}</td>
                          <td><span class={`chip sched-status ${s.status === "PAUSED" ? "chip-warn" : s.status === "ACTIVE" ? "chip-ok" : ""}`}>{tDynamic("sstatus", s.status, "status.UNKNOWN")}</span></td>
                          <td class="sched-next"><Time ts={s.status === "PAUSED" ? null : s.next_run_at} now={now} /></td>
                          <td>
                            {s.last_run_id ? (
                              <a href={`#run=${encodeURIComponent(s.last_run_id)}`} class="mono">{s.last_run_id.slice(0, 8)}</a>
                            ) : "—"}
                            {lastStatus && <> <StatusBadge status={lastStatus} /></>}
                          </td>
                          <td class="num">{s.dispatch_count}</td>
                          <td class="mono small clip" title={s.last_error ?? undefined}>{s.last_error ?? "—"}</td>
                          <td>
                            {s.status !== "COMPLETED" && (
                              <button type="button" class="btn btn-small sched-toggle" disabled={busy === s.schedule_id} onClick={() => toggle(s)}>
                                {s.status === "PAUSED" ? t("sched.resume") : t("sched.pause")}
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </>
      )}
    </Panel>
  );
}

/**
 * Dead letters: groups (same reason + flow + normalised error) with counts and first/last seen,
 * the newest entries, and requeue of one entry or a whole group, each after a confirmation.
 * Requeue is idempotent on the gateway, so a double click makes one run, not two.
 */
import { useState } from "preact/hooks";
import { errorText, type DashboardApi, type DlqEntry } from "../api.ts";
import type { DlqGroup } from "../../client/types.ts";
import { usePoll } from "../hooks.ts";
import { langStore, t, tExact } from "../i18n.ts";
import { reportError, reportOk } from "../status.ts";
import { useStore } from "../store.ts";
import { confirmAction, ErrorNote, Note, Panel, Section, Time } from "./common.tsx";

export function DlqPanel({ api, now }: { api: DashboardApi; now: number }) {
  useStore(langStore);
  const [group, setGroup] = useState<string | null>(null);
  const groups = usePoll(api, "dlq", (s) => api.dlqGroups(s), 5000);
  const entries = usePoll(api, "dlq", (s) => api.dlqEntries(group, s), 5000, [group]);
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const reasonText = (r: string) => tExact("reason", r) || r;
  const runLinks = (ids: string[]) => ids.slice(0, 5).map((id) => id.slice(0, 8)).join(", ") + (ids.length > 5 ? "…" : "");

  /** Confirm, requeue, report the new runs (or the error), refresh both lists. */
  const requeue = async (key: string, body: string, call: () => Promise<string[]>) => {
    if (!(await confirmAction({ title: t("confirm.requeueTitle"), body, yes: "confirm.requeueYes", no: "confirm.back" }))) return;
    setBusy(key);
    try {
      const ids = await call();
      setDone(t("dlq.requeued", { n: ids.length, runs: runLinks(ids) }));
      reportOk("dlq-requeue");
    } catch (err) {
      reportError("dlq-requeue", errorText(err));
    } finally {
      setBusy(null);
      groups.reload();
      entries.reload();
    }
  };
  const requeueGroup = (g: DlqGroup) => requeue(g.fingerprint,
    t("confirm.requeueGroup", { count: g.count, flow: g.flow_name ?? "—", reason: reasonText(g.reason) }),
    async () => (await api.requeueGroup(g.fingerprint)).requeued.filter((r) => r.run_id).map((r) => r.run_id));
  const requeueEntry = (e: DlqEntry) => requeue(`seq:${e.seq}`,
    t("confirm.requeueEntry", { seq: e.seq, flow: e.flow_name ?? "—" }),
    async () => [(await api.requeueEntry(e.seq)).run_id]);

  return (
    <Panel id="dlqPanel" title={t("dlq.title")} unavailable={groups.unavailable ? t("dlq.unavailable") : null} explain={t("dlq.explain")}>
      {(
          <>
            {done && <Note>{done}</Note>}
            <Section title={t("dlq.groups")} id="dlqGroupsCard">
              {groups.error && <ErrorNote text={groups.error} onRetry={groups.reload} />}
              {groups.data && groups.data.items.length === 0 && <Note>{t("dlq.empty")}</Note>}
              {groups.data && groups.data.items.length > 0 && (
                <div class="table-wrap">
                  <table class="grid-table" id="dlqGroups">
                    <thead><tr>
                      <th>{t("dlq.reason")}</th><th>{t("sched.flow")}</th><th>{t("dlq.error")}</th><th class="num">{t("dlq.count")}</th>
                      <th>{t("dlq.firstSeen")}</th><th>{t("dlq.lastSeen")}</th><th />
                    </tr></thead>
                    <tbody>
                      {groups.data.items.map((g) => (
                        <tr class={`dlq-group${group === g.fingerprint ? " active" : ""}`} data-fingerprint={g.fingerprint} tabIndex={0}
                          title={t("dlq.showEntries")} onClick={() => setGroup(group === g.fingerprint ? null : g.fingerprint)}
                          onKeyDown={(e) => { if (e.key === "Enter") setGroup(group === g.fingerprint ? null : g.fingerprint); }}>
                          <td><span class="chip chip-bad">{reasonText(g.reason)}</span></td>
                          <td>{g.flow_name ?? "—"}</td>
                          <td class="mono small clip" title={g.sample?.error ?? g.error_pattern}>{g.error_pattern || "—"}</td>
                          <td class="num dlq-count">{g.count}</td>
                          <td><Time ts={g.first_seen} now={now} /></td>
                          <td><Time ts={g.last_seen} now={now} /></td>
                          <td><button type="button" class="btn btn-small btn-accent dlq-requeue-group" disabled={busy !== null} onClick={(e) => { e.stopPropagation(); void requeueGroup(g); }}>{t("dlq.requeueAll")}</button></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
            <Section title={group ? t("dlq.groupEntries") : t("dlq.entries")} id="dlqEntriesCard"
              extra={group ? <button type="button" id="dlqAllEntries" class="btn btn-ghost btn-small" onClick={() => setGroup(null)}>{t("dlq.allEntries")}</button> : undefined}>
              {entries.error && <ErrorNote text={entries.error} onRetry={entries.reload} />}
              {entries.data && entries.data.items.length === 0 && <Note>{t("dlq.empty")}</Note>}
              {entries.data && entries.data.items.length > 0 && (
                <div class="table-wrap">
                  <table class="grid-table" id="dlqEntries">
                    <thead><tr>
                      <th>{t("dlq.seq")}</th><th>{t("dlq.received")}</th><th>{t("dlq.reason")}</th><th>{t("sched.flow")}</th><th>{t("col.tag")}</th>
                      <th>{t("dlq.error")}</th><th>{t("dlq.requeuedAs")}</th><th />
                    </tr></thead>
                    <tbody>
                      {entries.data.items.map((e) => (
                        <tr class="dlq-entry" data-seq={e.seq}>
                          <td class="mono">#{e.seq}</td>
                          <td><Time ts={e.received_at} now={now} /></td>
                          <td>{reasonText(e.reason)}</td>
                          <td>{e.flow_name ?? "—"}</td>
                          <td>{e.tag ?? "—"}</td>
                          <td class="mono small clip" title={e.error ?? undefined}>{e.error ?? "—"}</td>
                          <td class="mono">{e.requeued_run_id ? <a href={`#run=${encodeURIComponent(e.requeued_run_id)}`}>{e.requeued_run_id.slice(0, 8)}</a> : "—"}</td>
                          <td><button type="button" class="btn btn-small dlq-requeue" disabled={busy !== null || Boolean(e.requeued_run_id)} onClick={() => requeueEntry(e)}>{t("dlq.requeue")}</button></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Section>
          </>
      )}
    </Panel>
  );
}

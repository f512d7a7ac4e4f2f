/**
 * Wheels: the registry (`GET /wheels`: name, version, tags, size, upload time), what each worker
 * installed, skipped as incompatible or failed (its `wheel_sync` record from `GET /workers`), and
 * the upload/delete history with who did it from where (`GET /wheels/history`).
 */
import type { DashboardApi, WheelHistoryEvent, WheelInfo } from "../api.ts";
import type { WheelSyncState } from "../../client/types.ts";
import { formatBytes } from "../format.ts";
import { usePoll } from "../hooks.ts";
import { langStore, t, tExact } from "../i18n.ts";
import { useStore } from "../store.ts";
import { ErrorNote, Note, Panel, Section, SLOT, Time, WithSlot } from "./common.tsx";
import { WheelSyncBadge } from "./workers.tsx";

/** `name-1.2.0-py3-none-any.whl` → package and version (PEP 427 file name). */
export function parseWheelName(name: string): { pkg: string; version: string } {
  const parts = name.replace(/\.whl$/i, "").split("-");
  return { pkg: parts[0] ?? name, version: parts[1] ?? "" };
}

export function WheelsPanel({ api, now }: { api: DashboardApi; now: number }) {
  useStore(langStore);
  const wheels = usePoll(api, "wheels", (s) => api.wheels(s), 10_000);
  const history = usePoll(api, "wheels", (s) => api.wheelHistory(s), 10_000);
  const workers = usePoll(api, "workers", (s) => api.workers({ state: "ALL", includeHidden: false }, s), 10_000);
  return (
    <Panel id="wheelsPanel" title={t("wheels.title")} unavailable={wheels.unavailable ? t("wheels.unavailable") : null} explain={t("wheels.explain")}>
      {(
          <>
            <Section title={t("wheels.registry")} id="wheelsRegistry">
              {wheels.error && <ErrorNote text={wheels.error} onRetry={wheels.reload} />}
              {wheels.data && wheels.data.length === 0 && <Note>{t("wheels.empty")}</Note>}
              {wheels.data && wheels.data.length > 0 && <WheelTable items={wheels.data} now={now} />}
            </Section>
            <Section title={t("wheels.perWorker")} id="wheelsWorkers">
              {workers.error && <ErrorNote text={workers.error} onRetry={workers.reload} />}
              {(workers.data ?? []).length === 0 && workers.data && <Note>{t("workers.empty")}</Note>}
              <ul class="wsync-list">
                {(workers.data ?? []).map((w) => <WorkerWheels id={w.worker_id} ws={w.wheel_sync} now={now} />)}
              </ul>
            </Section>
            <Section title={t("wheels.history")} id="wheelsHistory">
              {history.error && <ErrorNote text={history.error} onRetry={history.reload} />}
              {history.data && history.data.length === 0 && <Note>{t("wheels.noHistory")}</Note>}
              {history.data && history.data.length > 0 && <HistoryTable events={history.data} now={now} />}
            </Section>
          </>
      )}
    </Panel>
  );
}

function WheelTable({ items, now }: { items: WheelInfo[]; now: number }) {
  return (
    <div class="table-wrap">
      <table class="grid-table" id="wheelsTable">
        <thead><tr><th>{t("wheels.package")}</th><th>{t("wheels.version")}</th><th>{t("wheels.tags")}</th><th class="num">{t("wheels.size")}</th><th>{t("wheels.uploaded")}</th><th>{t("wheels.name")}</th></tr></thead>
        <tbody>
          {items.map((w) => {
            const { pkg, version } = parseWheelName(w.name);
            const ts = Date.parse(w.mtime) / 1000;
            return (
              <tr class="wheel-item" data-wheel={w.name}>
                <td>{pkg}</td><td class="mono">{version}</td>
                <td>{w.tags.length ? w.tags.map((tag) => <span class="chip">{tag}</span>) : "—"}</td>
                <td class="num">{formatBytes(w.size_bytes)}</td>
                <td><Time ts={ts} now={now} /></td>
                <td class="mono small clip" title={w.name}>{w.name}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

type Row = Record<string, unknown>;

function WorkerWheels({ id, ws, now }: { id: string; ws: WheelSyncState | null | undefined; now: number }) {
  const installed: Row[] = Array.isArray(ws?.installed_wheels) ? ws.installed_wheels : [];
  const skipped: Row[] = Array.isArray(ws?.skipped_incompatible) ? ws.skipped_incompatible : [];
  const failed: Row[] = Array.isArray(ws?.failed_wheels) ? ws.failed_wheels : [];
  const off = !ws || ws.enabled === false;
  return (
    <li class="wsync-item" data-worker-id={id}>
      <div class="wsync-head">
        <code class="mono">{id}</code> <WheelSyncBadge ws={ws} />
        {ws?.last_synced_at ? <span class="muted small"> · <WithSlot text={t("wheels.lastSync", { time: SLOT })} slot={<Time ts={ws.last_synced_at} now={now} />} /></span> : null}
      </div>
      {off ? <p class="muted small">{t("wheels.syncOff")}</p> : (
        <dl class="kv">
          <div><dt>{t("wheels.installed")}</dt><dd>{installed.length ? installed.map((w) => <span class="chip chip-ok" title={String(w.wheel_name ?? "")}>{String(w.package_name ?? w.wheel_name)} {String(w.package_version ?? "")}</span>) : <span class="muted">{t("wheels.nothing")}</span>}</dd></div>
          {skipped.length > 0 && <div><dt>{t("wheels.skipped")}</dt><dd>{skipped.map((w) => <span class="chip" title={String(w.reason ?? "")}>{String(w.wheel_name ?? w.package_name)}</span>)}</dd></div>}
          {failed.length > 0 && <div><dt>{t("wheels.failedWheels")}</dt><dd>{failed.map((w) => <span class="chip chip-bad wsync-failed" title={String(w.reason ?? "")}>{String(w.wheel_name ?? w.package_name)}</span>)}</dd></div>}
          {ws?.last_error ? <div><dt>{t("wheels.failed")}</dt><dd><pre class="error-text small">{String(ws.last_error)}</pre></dd></div> : null}
        </dl>
      )}
    </li>
  );
}

function HistoryTable({ events, now }: { events: WheelHistoryEvent[]; now: number }) {
  return (
    <div class="table-wrap">
      <table class="grid-table" id="wheelHistoryTable">
        <thead><tr><th>{t("wheels.when")}</th><th>{t("wheels.action")}</th><th>{t("wheels.name")}</th><th>{t("wheels.tags")}</th><th>{t("wheels.actor")}</th><th>{t("wheels.source")}</th></tr></thead>
        <tbody>
          {events.map((e) => {
            const src = e.source ?? ({} as WheelHistoryEvent["source"]);
            const from = src.x_forwarded_for || src.x_real_ip || src.remote_addr || "—";
            const actor = [e.actor?.api_key_id, e.actor?.tenant_id].filter(Boolean).join(" / ") || "—";
            return (
              <tr class="wheel-event" data-action={e.action}>
                <td><Time ts={e.occurred_at} now={now} /></td>
                <td><span class={`chip ${e.action === "delete" ? "chip-bad" : "chip-ok"}`}>{tExact("action", e.action)}</span></td>
                <td class="mono small clip" title={e.wheel_name}>{e.wheel_name}</td>
                <td>{(e.tags ?? []).map((tag) => <span class="chip">{tag}</span>)}</td>
                <td class="mono small">{actor}</td>
                <td class="mono small" title={src.user_agent ?? undefined}>{from}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

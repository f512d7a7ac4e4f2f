/** Small building blocks shared by the panels: times, status badges, notes, the confirm dialog. */
import { Component, h, type ComponentChildren, type ComponentType, type FunctionComponent } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { absoluteTime, epoch, relativeTime } from "../format.ts";
import { langStore, statusText, t, type TextKey } from "../i18n.ts";
import { Store, useStore } from "../store.ts";

/**
 * A component that re-renders only when a prop changes (shallow), not with its parent: the page
 * ticks every second for relative times, and a log pane of thousands of lines need not follow.
 */
export function memo<P extends object>(render: FunctionComponent<P>): ComponentType<P> {
  return class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const a = this.props as Record<string, unknown>, b = next as Record<string, unknown>;
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      return [...keys].some((k) => a[k] !== b[k]);
    }
    render(props: P) { return h(render, props); }
  };
}

const STATUS_ICON: Record<string, string> = {
  PENDING: "○", PENDING_APPROVAL: "○", RUNNING: "▶", CANCELLING: "…", COMPLETED: "✓", FAILED: "⚠", CANCELLED: "■",
  SUCCEEDED: "✓",
};

export function statusClass(status: unknown): string {
  const s = String(status ?? "").toUpperCase();
  if (s === "PENDING_APPROVAL") return "pending";
  if (s === "SUCCEEDED") return "completed";
  return STATUS_ICON[s] ? s.toLowerCase() : "unknown";
}

/** Status with icon, colour and words (never colour alone). */
export function StatusBadge({ status, text }: { status: unknown; text?: string }) {
  const s = String(status ?? "").toUpperCase();
  return (
    <span class={`badge status-${statusClass(s)}`} title={s || undefined}>
      <span class="badge-icon" aria-hidden="true">{STATUS_ICON[s] ?? "•"}</span>
      {text ?? statusText(s)}
    </span>
  );
}

/** Relative time ("3 min ago"), the absolute local time on hover; "—" when unknown. */
export function Time({ ts, now }: { ts: unknown; now: number }) {
  const lang = useStore(langStore);
  const v = epoch(ts);
  if (v === null) return <span class="muted">—</span>;
  return <time dateTime={new Date(v * 1000).toISOString()} title={absoluteTime(v, lang)}>{relativeTime(v, now, lang)}</time>;
}

/** Placeholder for a node inside a translated sentence: t("detail.updated", { time: SLOT }). */
export const SLOT = "\u0000";

/** A translated sentence with one element (a <Time>, a link) where SLOT stood. */
export function WithSlot({ text, slot }: { text: string; slot: ComponentChildren }) {
  const at = text.indexOf(SLOT);
  if (at < 0) return <>{text}</>;
  return <>{text.slice(0, at)}{slot}{text.slice(at + SLOT.length)}</>;
}

export function Note({ kind = "info", children }: { kind?: "info" | "error" | "unavailable"; children: ComponentChildren }) {
  return <p class={`note note-${kind}`} role={kind === "error" ? "alert" : undefined}>{children}</p>;
}

export function ErrorNote({ text, onRetry }: { text: string; onRetry?: () => void }) {
  return (
    <Note kind="error">
      {text} {onRetry && <button type="button" class="btn btn-small" onClick={onRetry}>{t("common.retry")}</button>}
    </Note>
  );
}

/**
 * A whole section of the page (DLQ, Wheels, Schedules): a heading, then either a short "not
 * available" note (the gateway answered 404) or the explanation and the content.
 */
export function Panel({ id, title, unavailable, explain, children }: { id: string; title: string; unavailable: string | null; explain: string; children: ComponentChildren }) {
  return (
    <section id={id} class="panel" aria-labelledby={`${id}Title`}>
      <div class="panel-head"><h2 id={`${id}Title`}>{title}</h2></div>
      <div class="panel-scroll">
        {unavailable ? <Note kind="unavailable">{unavailable}</Note> : <><p class="muted small">{explain}</p>{children}</>}
      </div>
    </section>
  );
}

export function Section({ title, id, children, extra }: { title: string; id?: string; children: ComponentChildren; extra?: ComponentChildren }) {
  return (
    <section class="card" id={id}>
      <div class="card-head"><h3>{title}</h3>{extra}</div>
      {children}
    </section>
  );
}

// ── confirmation dialog (one host, opened from anywhere) ──

interface ConfirmRequest {
  title: string;
  body: string;
  yes: TextKey;
  no: TextKey;
  resolve: (ok: boolean) => void;
}

const confirmStore = new Store<ConfirmRequest | null>(null);

/** Ask before a consequential action; resolves true only on the explicit "yes" button. */
export function confirmAction(req: Omit<ConfirmRequest, "resolve">): Promise<boolean> {
  confirmStore.get()?.resolve(false);
  return new Promise((resolve) => confirmStore.set({ ...req, resolve }));
}

export function ConfirmHost() {
  const req = useStore(confirmStore);
  useStore(langStore);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (req && !d.open) d.showModal();
    if (!req && d.open) d.close();
  }, [req]);
  const answer = (ok: boolean) => {
    req?.resolve(ok);
    confirmStore.set(null);
  };
  return (
    <dialog id="confirmDialog" ref={ref} class="dialog" aria-labelledby="confirmTitle" onCancel={(e) => { e.preventDefault(); answer(false); }}>
      {req && (
        <form method="dialog" onSubmit={(e) => { e.preventDefault(); answer(true); }}>
          <h2 id="confirmTitle">{req.title}</h2>
          <p id="confirmBody">{req.body}</p>
          <div class="dialog-actions">
            <button id="confirmNo" type="button" class="btn" onClick={() => answer(false)} autoFocus>{t(req.no)}</button>
            <button id="confirmYes" type="submit" class="btn btn-danger">{t(req.yes)}</button>
          </div>
        </form>
      )}
    </dialog>
  );
}

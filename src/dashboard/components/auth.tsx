/**
 * The API-key prompt: opens by itself when the gateway answers 401 (and from the header's key
 * button), stores the header name and key in this browser (`pyoco.auth_header`,
 * `pyoco.auth_key`) and reloads every panel with them.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { DEFAULT_AUTH_HEADER, type DashboardApi } from "../api.ts";
import { langStore, t } from "../i18n.ts";
import { Store, useStore } from "../store.ts";

/** Opened by the header button. */
export const authDialogOpen = new Store(false);

export function AuthDialog({ api }: { api: DashboardApi }) {
  useStore(langStore);
  const need = useStore(api.authNeed);
  const open = useStore(authDialogOpen);
  const ref = useRef<HTMLDialogElement>(null);
  const [header, setHeader] = useState(api.auth.header);
  const [key, setKey] = useState(api.auth.key);
  const [dismissed, setDismissed] = useState<string | null>(null);

  // A new 401 (or a refused key) opens the prompt again, unless this very state was dismissed.
  const shouldOpen = open || (need !== null && dismissed !== `${need}:${api.auth.key}`);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (shouldOpen && !d.open) { setHeader(api.auth.header); setKey(api.auth.key); d.showModal(); }
    if (!shouldOpen && d.open) d.close();
  }, [shouldOpen]);

  const close = () => {
    if (need !== null) setDismissed(`${need}:${api.auth.key}`);
    authDialogOpen.set(false);
  };
  const apply = (h: string, k: string) => {
    setDismissed(null);
    authDialogOpen.set(false);
    api.setAuth({ header: h, key: k });
  };

  return (
    <dialog id="authDialog" ref={ref} class="dialog" aria-labelledby="authTitle" onCancel={(e) => { e.preventDefault(); close(); }}>
      <form id="authForm" autocomplete="off" onSubmit={(e) => { e.preventDefault(); apply(header, key); }}>
        <h2 id="authTitle">{t("auth.title")}</h2>
        <p>{t("auth.explain")}</p>
        {need === "refused" && <p class="note note-error" id="authRefused">{t("auth.refused")}</p>}
        <label class="field">
          <span>{t("auth.key")}</span>
          <input id="apiKey" type="password" value={key} autoFocus onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t("auth.header")}</span>
          <input id="apiHeader" type="text" spellcheck={false} value={header} placeholder={DEFAULT_AUTH_HEADER} onInput={(e) => setHeader(e.currentTarget.value)} />
        </label>
        <div class="dialog-actions">
          {api.auth.key && <button type="button" id="forgetAuth" class="btn btn-ghost" onClick={() => apply(header, "")}>{t("auth.forget")}</button>}
          <button type="button" id="closeAuth" class="btn" onClick={close}>{t("auth.close")}</button>
          <button id="saveAuth" type="submit" class="btn btn-accent">{t("auth.apply")}</button>
        </div>
      </form>
    </dialog>
  );
}

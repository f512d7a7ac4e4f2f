/**
 * Shared hooks: a polled resource that knows "not available" (404) from an error and pauses
 * while the tab is hidden, and a clock that ticks for relative times.
 *
 *   const groups = usePoll(api, "dlq", (signal) => api.dlqGroups(signal), 5000);
 *   if (groups.unavailable) return <Unavailable/>;
 */
import { useEffect, useState } from "preact/hooks";
import { errorText, isAbort, isUnavailable, type DashboardApi } from "./api.ts";
import { reportError, reportOk } from "./status.ts";
import { useStore } from "./store.ts";

export interface Polled<T> {
  data: T | undefined;
  /** Localised error text of the last failed load (cleared by the next success). */
  error: string | null;
  /** The endpoint answered 404: this gateway does not have it (yet). */
  unavailable: boolean;
  loading: boolean;
  reload: () => void;
}

/**
 * Load now, then every `intervalMs` (0 = once) while the tab is visible; again whenever `deps`,
 * the API key or `reload()` change. A 404 is "unavailable", not an error; polling continues so
 * the panel comes alive once the gateway gains the endpoint.
 */
export function usePoll<T>(api: DashboardApi, source: string, load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const authVersion = useStore(api.authVersion);
  const [nonce, setNonce] = useState(0);
  const [state, setState] = useState<Omit<Polled<T>, "reload">>({ data: undefined, error: null, unavailable: false, loading: true });
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.hidden) { timer = setTimeout(run, 1000); return; }
      try {
        const data = await load(ac.signal);
        if (ac.signal.aborted) return;
        setState({ data, error: null, unavailable: false, loading: false });
        reportOk(source);
      } catch (err) {
        if (ac.signal.aborted || isAbort(err)) return;
        if (isUnavailable(err)) {
          setState({ data: undefined, error: null, unavailable: true, loading: false });
          reportOk(source);
        } else {
          const message = errorText(err);
          setState((s) => ({ ...s, error: message, loading: false }));
          reportError(source, message);
        }
      }
      if (intervalMs > 0 && !ac.signal.aborted) timer = setTimeout(run, intervalMs);
    };
    void run();
    return () => { ac.abort(); clearTimeout(timer); };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, authVersion, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}

/** Epoch seconds, refreshed every `everyMs` so relative times and running durations move. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now() / 1000), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

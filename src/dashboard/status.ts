/**
 * The status bar's state: when data last arrived and the last error per source (runs, workers,
 * …). A source's error clears when the same source next succeeds.
 */
import { Store } from "./store.ts";

export interface StatusState {
  /** Epoch seconds of the last successful refresh, 0 before the first. */
  lastUpdate: number;
  errors: Record<string, string>;
}

export const statusStore = new Store<StatusState>({ lastUpdate: 0, errors: {} });

export function reportOk(source: string): void {
  statusStore.update((s) => {
    const errors = { ...s.errors };
    delete errors[source];
    return { lastUpdate: Date.now() / 1000, errors };
  });
}

export function reportError(source: string, message: string): void {
  statusStore.update((s) => (s.errors[source] === message ? s : { ...s, errors: { ...s.errors, [source]: message } }));
}

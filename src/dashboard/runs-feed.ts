/**
 * The live runs list: loads the newest runs once (`GET /runs?updated_after=0`, following
 * `next_cursor`), then every 2 s asks only for what changed since the newest `updated_at` seen.
 * The gateway answers from its in-memory run index, so the poll is cheap. Runs never disappear
 * while the page is open; a reload starts fresh.
 *
 *   const feed = new RunsFeed(api); feed.start();
 *   feed.store.subscribe(() => render(feed.rows()));
 */
import { isAbort, errorText, type DashboardApi } from "./api.ts";
import { mergeRun, updatedAt, type RunRow } from "./runs-model.ts";
import { reportError, reportOk } from "./status.ts";
import { Store } from "./store.ts";

const PAGE = 200;
/** The first load stops after this many runs (newest first); later changes still arrive. */
export const MAX_INITIAL_RUNS = 5000;
const DELTA_MS = 2000;
const DELTA_MAX_PAGES = 10;

export interface FeedState {
  phase: "loading" | "ready" | "error";
  error: string | null;
  /** More runs exist than MAX_INITIAL_RUNS. */
  truncated: boolean;
  /** Bumped on every change of `runs`. */
  version: number;
}

export class RunsFeed {
  readonly runs = new Map<string, RunRow>();
  readonly store = new Store<FeedState>({ phase: "loading", error: null, truncated: false, version: 0 });
  #maxUpdatedAt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort = new AbortController();
  #busy = false;

  constructor(private readonly api: DashboardApi) {}

  rows(): Iterable<RunRow> { return this.runs.values(); }

  /** Merge a snapshot seen elsewhere (detail watch, cancel answer) so the table shows it at once. */
  mergeSnapshot(run: RunRow): void {
    if (mergeRun(this.runs, run)) this.#changed();
  }

  start(): void {
    this.stop();
    this.#abort = new AbortController();
    this.runs.clear();
    this.#maxUpdatedAt = 0;
    this.store.set({ phase: "loading", error: null, truncated: false, version: this.store.get().version + 1 });
    void this.#loop(this.#abort.signal);
  }

  stop(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
  }

  async #loop(signal: AbortSignal): Promise<void> {
    let initial = true;
    while (!signal.aborted) {
      if (!document.hidden && !this.#busy) {
        this.#busy = true;
        try {
          const truncated = await this.#fetch(initial ? 0 : this.#maxUpdatedAt, initial ? Math.ceil(MAX_INITIAL_RUNS / PAGE) : DELTA_MAX_PAGES, signal);
          if (signal.aborted) return;
          const s = this.store.get();
          this.store.set({ phase: "ready", error: null, truncated: initial ? truncated : s.truncated, version: s.version + 1 });
          initial = false;
          reportOk("runs");
        } catch (err) {
          if (signal.aborted || isAbort(err)) return;
          const message = errorText(err);
          reportError("runs", message);
          const s = this.store.get();
          this.store.set({ ...s, phase: initial ? "error" : s.phase, error: message });
        } finally {
          this.#busy = false;
        }
      }
      await new Promise<void>((resolve) => { this.#timer = setTimeout(resolve, DELTA_MS); });
    }
  }

  /** Page through `/runs` newer than `after`; true when pages were left unread. */
  async #fetch(after: number, maxPages: number, signal: AbortSignal): Promise<boolean> {
    let cursor: string | null = null;
    let newest = this.#maxUpdatedAt;
    for (let page = 0; page < maxPages; page++) {
      const res = await this.api.listRuns({ updatedAfter: after, cursor, limit: PAGE }, signal);
      if (signal.aborted) return false;
      for (const item of res.items ?? []) {
        mergeRun(this.runs, item as RunRow);
        newest = Math.max(newest, updatedAt(item as RunRow));
      }
      cursor = res.next_cursor ?? null;
      if (!cursor) break;
    }
    // Only move the bound once every page is in: a run updated mid-way is picked up next time.
    this.#maxUpdatedAt = newest;
    return cursor !== null;
  }

  #changed(): void {
    const s = this.store.get();
    this.store.set({ ...s, version: s.version + 1 });
  }
}

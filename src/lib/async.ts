/** Small async helpers: abortable sleep, deadlines and condition waits. No dependencies. */

export class TimeoutError extends Error {
  constructor(message: string) { super(message); this.name = "TimeoutError"; }
}

/** Sleep `ms`, resolving early (not rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() { clearTimeout(timer); signal?.removeEventListener("abort", done); resolve(); }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Reject with TimeoutError when `promise` has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  try { return await Promise.race([promise, deadline]); } finally { clearTimeout(timer); }
}

/** Poll `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as T;
    } catch (err) { lastError = err; }
    if (Date.now() > end) {
      const suffix = lastError ? ` (last error: ${String(lastError)})` : "";
      throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? "condition"}${suffix}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves when `signal` aborts — at once if it already has (a listener added late never fires). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/**
 * Collapse concurrent calls of an expensive read: at most one call of `fn` per key runs at a time,
 * and every caller that arrives meanwhile shares the ONE call that starts right after it — so each
 * caller still gets a result read after it asked (never a stale one), while 50 concurrent callers
 * cost two reads instead of 50.
 */
export function coalesced<T>(fn: (key: string) => Promise<T>): (key?: string) => Promise<T> {
  const running = new Map<string, Promise<T>>();
  const queued = new Map<string, Promise<T>>();
  const start = (key: string): Promise<T> => {
    const p = fn(key).finally(() => { if (running.get(key) === p) running.delete(key); });
    running.set(key, p);
    return p;
  };
  return (key = "") => {
    const current = running.get(key);
    if (!current) return start(key);
    let next = queued.get(key);
    if (!next) {
      next = current.then(() => undefined, () => undefined).then(() => { queued.delete(key); return start(key); });
      queued.set(key, next);
    }
    return next;
  };
}

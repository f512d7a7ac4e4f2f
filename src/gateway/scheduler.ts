/**
 * The schedule dispatcher that runs in every gateway (http-contract.md §1.14).
 *
 * One KV watch keeps the schedules in memory (no bucket scan per tick). The loop wakes at the
 * earliest fire time (at most every PYOCO_SCHEDULE_POLL_INTERVAL_SEC) and, for each due schedule:
 * 1. claims it with a compare-and-set write of `lease_until` on the revision it read — of several
 *    gateways exactly one wins, the others skip it;
 * 2. submits through the same atomic submit as POST /runs/yaml, with `schedule_id` and the
 *    creator's tenant and API key, under a run id derived from the slot (`fireRunId`): if the
 *    winner dies after submitting, the gateway that fires the slot after the lease expires finds
 *    that run instead of creating a second one;
 * 3. writes the outcome (dispatch_count, last_run_id, next fire; or last_error, retried on the
 *    next tick) and clears the lease, compare-and-set again.
 *
 *   const scheduler = startScheduler(deps);   …   await scheduler.stop();
 */
import { NatsUnavailableError, RevisionConflictError } from "../domain/errors.ts";
import {
  afterDispatch, afterFailure, afterSkip, claimRecord, fireDecision, fireRunId, isDue, nextFireAt, type ScheduleRecord,
} from "../domain/schedule.ts";
import { isPlainObject } from "./validation.ts";
import { sleep } from "../lib/async.ts";
import type { GatewayDeps } from "./deps.ts";
import { submitRun } from "./submit.ts";

export interface Scheduler {
  /** This gateway's name in `lease_owner` / `last_dispatched_by`. */
  readonly owner: string;
  /** Resolves once the schedules that existed at start have been loaded. */
  readonly ready: Promise<void>;
  /** Wake the loop now (after a write through this gateway). */
  poke(): void;
  /** Stop the loop; waits (up to `deadlineMs`) for a fire in flight to finish. */
  stop(deadlineMs?: number): Promise<void>;
}

interface Known { record: ScheduleRecord; revision: number }

/** Shortest sleep between ticks (ms), so a burst of due fires does not spin. */
const MIN_SLEEP_MS = 20;

export function startScheduler(deps: Pick<GatewayDeps, "js" | "clock" | "log" | "settings">): Scheduler {
  const { js, clock, settings } = deps;
  const log = deps.log.child("scheduler");
  const owner = `gateway-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const pollMs = Math.max(0.2, settings.schedulePollIntervalSec) * 1000;
  const known = new Map<string, Known>();
  const stopper = new AbortController();
  let wake = new AbortController();

  const watch = js.schedules.watch((entry) => {
    if (entry.value === null || !isPlainObject(entry.value)) known.delete(entry.key);
    else known.set(entry.key, { record: entry.value, revision: entry.revision });
    wake.abort();   // a new or changed schedule may be due earlier than the loop planned
  });

  async function fire(id: string, seen: Known): Promise<void> {
    const now = clock.now();
    const slot = nextFireAt(seen.record)!;
    const claimed = claimRecord(seen.record, now, settings.schedulePollIntervalSec, owner);
    let revision: number;
    try {
      revision = await js.schedules.update(id, claimed, seen.revision);
    } catch (err) {
      if (err instanceof RevisionConflictError) return;   // another gateway claimed it, or it changed
      throw err;
    }
    const grace = settings.scheduleMisfireGraceSec;
    let next: (current: ScheduleRecord) => ScheduleRecord;
    if (fireDecision(seen.record, slot, now, grace) === "skip") {
      log.info("missed schedule slot skipped", { schedule_id: id, slot, late_sec: now - slot });
      next = (current) => afterSkip(current, { slot, now: clock.now(), graceSec: grace });
    } else {
      const r = seen.record;
      try {
        const { run_id } = await submitRun(deps, {
          runId: await fireRunId(id, slot), resumeExisting: true,
          flowName: r.flow_name, params: isPlainObject(r.params) ? r.params : {}, tag: r.tag, tags: [r.tag],
          caller: { tenantId: r.tenant_id ?? null, apiKeyId: r.api_key_id ?? null },
          yaml: { text: r.workflow_yaml, sha256: r.workflow_yaml_sha256, bytes: r.workflow_yaml_bytes, scheduleId: id },
        });
        log.info("schedule fired", { schedule_id: id, run_id, slot });
        next = (current) => afterDispatch(current, { slot, runId: run_id, now: clock.now(), owner, graceSec: grace });
      } catch (err) {
        const error = `${(err as Error).name ?? "Error"}: ${(err as Error).message ?? String(err)}`;
        log.warn("schedule submit failed; retried on the next tick", { schedule_id: id, err: error });
        next = (current) => afterFailure(current, { error, now: clock.now() });
      }
    }
    // Outcome: compare-and-set on our claim; if someone wrote meanwhile (pause, delete), re-read.
    try {
      await js.schedules.update(id, next(claimed), revision);
    } catch (err) {
      if (!(err instanceof RevisionConflictError)) throw err;
      await js.schedules.mutate(id, (current) => (current && isPlainObject(current) ? next(current) : null));
    }
  }

  async function tick(): Promise<number> {
    const now = clock.now();
    const due = [...known.entries()].filter(([, k]) => isDue(k.record, now));
    await Promise.all(due.map(([id, k]) => fire(id, k).catch((err) => {
      if (err instanceof NatsUnavailableError) return;   // NATS is down: the next tick tries again
      log.error("schedule fire failed", { schedule_id: id, err });
    })));
    // Sleep until the earliest fire time, the poll interval at most.
    let earliest = Infinity;
    for (const k of known.values()) {
      const at = nextFireAt(k.record);
      if (at !== null) earliest = Math.min(earliest, at);
    }
    const untilDueMs = (earliest - clock.now()) * 1000;
    return Math.min(pollMs, Math.max(MIN_SLEEP_MS, untilDueMs));
  }

  const loop = (async () => {
    await watch.ready.catch(() => {});
    while (!stopper.signal.aborted) {
      let waitMs = pollMs;
      try { waitMs = await tick(); } catch (err) { log.error("scheduler tick failed", { err }); }
      if (stopper.signal.aborted) break;
      wake = new AbortController();
      await sleep(waitMs, AbortSignal.any([wake.signal, stopper.signal]));
    }
  })();

  let stopping: Promise<void> | undefined;
  return {
    owner,
    ready: watch.ready,
    poke: () => wake.abort(),
    stop: (deadlineMs = 5000) => (stopping ??= (async () => {
      stopper.abort();
      watch.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([loop, new Promise<void>((r) => { timer = setTimeout(r, deadlineMs); })]);
      clearTimeout(timer);
    })()),
  };
}

/**
 * When wheel sync runs and how its result reaches the runners (wire-contract.md §7.2):
 * once at start (before the worker pulls), then every PYOCO_WHEEL_SYNC_INTERVAL_SEC.
 *
 * A periodic attempt first only *checks* the registry (one listing, harmless during runs). Only
 * when something changed does it take every run slot (so no run is going on and none starts),
 * build the new generation, point the runners' PYTHONPATH at it, recycle the warm runners (they
 * may have imported the old version) and give the slots back: never during a run, and an
 * upgrade applies to the next run without a worker restart. Every outcome, failures included,
 * goes to the registry's `wheel_sync`; nothing here can stop the worker.
 */
import type { RunnerPool } from "../runner/index.ts";
import { sleep } from "../lib/async.ts";
import type { Logger } from "../lib/log.ts";
import type { WorkerRegistry } from "./registry.ts";
import type { SlotGate } from "./slots.ts";
import type { WheelSync } from "./wheel-sync.ts";

export interface WheelSyncLoopDeps {
  sync: WheelSync;
  pool: RunnerPool;
  gate: SlotGate;
  registry: () => WorkerRegistry | null;
  intervalSec: number;
  /** The runners' PYTHONPATH without a generation. */
  basePythonPath: string | undefined;
  log: Logger;
}

export class WheelSyncLoop {
  #stop = new AbortController();
  #loop: Promise<void> | null = null;

  constructor(private readonly d: WheelSyncLoopDeps) {}

  /** PYTHONPATH for runners: the active generation first, then the base path. */
  pythonPath(generationDir: string | null): string {
    return [generationDir, this.d.basePythonPath].filter(Boolean).join(":");
  }

  /** The first sync (no runs yet), then the periodic loop. */
  async start(): Promise<void> {
    await this.#attempt(true);
    this.#loop = this.#run();
  }

  /** Stop the loop; an install in progress is killed. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop?.catch(() => undefined);
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const intervalMs = Math.max(0.1, this.d.intervalSec) * 1000;
    while (!signal.aborted) {
      await sleep(intervalMs, signal);   // re-armed at the start of each attempt
      if (signal.aborted) break;
      await this.#attempt(false);
    }
  }

  async #attempt(initial: boolean): Promise<void> {
    const { sync, log } = this.d;
    const signal = this.#stop.signal;
    try {
      const { selection, changed } = await sync.check();
      if (!changed) sync.unchanged(selection);
      else {
        const release = initial ? () => {} : await this.#takeAllSlots(signal);
        try {
          if (signal.aborted) return;
          const out = await sync.apply(selection, signal);
          if (out.activated) {
            this.d.pool.setRunnerEnv({ PYTHONPATH: this.pythonPath(out.activated) });
            await this.d.pool.recycleIdle();
            sync.pruneGenerations();
            log.info("wheel generation active; runners recycled", { dir: out.activated });
          }
        } finally {
          release();
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      sync.fail(err);
    }
    await this.d.registry()?.setWheelSync(sync.state);
  }

  /** Hold every run slot: waits for running runs to end and keeps new ones from starting. */
  async #takeAllSlots(signal: AbortSignal): Promise<() => void> {
    const { gate } = this.d;
    let held = 0;
    const release = () => { for (; held > 0; held--) gate.release(); };
    try {
      for (let i = 0; i < gate.capacity; i++) { await gate.claim(signal); held++; }
    } catch {
      release();
      return () => {};
    }
    return release;
  }
}

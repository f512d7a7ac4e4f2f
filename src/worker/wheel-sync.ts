/**
 * Wheel sync (wire-contract.md §7, decisions.md §3.14): install the newest compatible version of
 * every registry wheel meant for this worker's tags, judged against the worker's own Python.
 *
 * Better than the original, by construction:
 * - every change builds a NEW target directory (`<dir>/envs/gen-<n>`, `pip install --no-index
 *   --no-deps --target`) holding exactly the selected wheels, so a package whose wheels were all
 *   deleted is simply absent (uninstalled), a downgrade is a plain install, and nothing touches
 *   the interpreter's site-packages;
 * - the worker puts the generation on the runners' PYTHONPATH and recycles warm runners, so an
 *   upgrade takes effect on the next run without a restart (worker.ts);
 * - requirements are checked with `pip check` against the target plus the interpreter; a wheel
 *   whose requirements are unmet is left out and reported with pip's reason, the rest is served;
 * - an empty registry is "nothing to install"; any failure is reported in `wheel_sync` and the
 *   previous generation stays active: a failing sync never takes the worker down.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selectWheels, type SelectedWheel, type Selection } from "../domain/wheel.ts";
import type { WheelStore } from "../jetstream/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { pipCheck, pipInstallTarget, supportedTags, tail } from "./pip.ts";

const LIST_MAX = 50;
const ERROR_MAX = 2000;

export interface WheelSyncOptions {
  /** The registry (available once the worker is connected). */
  store: () => WheelStore;
  /** The worker's interpreter (compatibility and pip). */
  python: string;
  workerTags: string[];
  /** Absolute local directory (PYOCO_WHEEL_SYNC_DIR resolved against the cwd). */
  dir: string;
  installTimeoutSec: number;
  /** The runners' PYTHONPATH without any generation (for `pip check`). */
  basePythonPath?: string;
  clock: Clock;
  log: Logger;
}

interface ManifestEntry {
  nuid: string;
  package_name: string;
  package_version: string;
  size_bytes: number;
  sha256_hex: string | null;
  tags: string[];
  installed_at: number;
}

interface FailedEntry { wheel_name: string; package_name: string; package_version: string; nuid: string; reason: string }

/** `<dir>/.installed.json` */
interface Manifest {
  generation: number;
  /** Installed and active, by wheel name. */
  wheels: Record<string, ManifestEntry>;
  /** Selected but not installable (unmet requirements, pip failure), by wheel name. */
  failed: Record<string, FailedEntry>;
}

/** What a sync did; `activated` = a new generation directory to put on PYTHONPATH. */
export interface SyncOutcome { changed: boolean; activated: string | null }

export class WheelSync {
  #manifest: Manifest;
  #state: Record<string, unknown>;
  #tags: Set<string> | null = null;

  constructor(private readonly opts: WheelSyncOptions, previous?: Record<string, unknown> | null) {
    mkdirSync(opts.dir, { recursive: true });
    this.#manifest = this.#load();
    this.#state = {
      ...(previous ?? {}),
      enabled: true, last_result: "idle", last_error: null,
      selected_count: 0, updated_count: 0, removed_count: 0, skipped_incompatible_count: 0,
      selected_wheels: [], updated_wheels: [], removed_wheels: [], skipped_incompatible: [],
      last_attempt_at: previous?.last_attempt_at ?? null, last_success_at: previous?.last_success_at ?? null, last_synced_at: previous?.last_synced_at ?? null,
      installed_wheels: this.#installedList(), failed_wheels: this.#failedList(), generation: this.#manifest.generation,
    };
  }

  /** The `wheel_sync` registry object (wire-contract.md §7.7, plus failed_wheels and generation). */
  get state(): Record<string, unknown> { return { ...this.#state }; }

  /** The active generation directory, if one was installed by an earlier sync (also before any sync ran). */
  get activeDir(): string | null {
    const dir = this.#genDir(this.#manifest.generation);
    return this.#manifest.generation > 0 && existsSync(dir) ? dir : null;
  }

  /**
   * What the registry holds for this worker right now and whether it differs from what is
   * installed. Cheap (one object-store listing); safe while runs are going on.
   */
  async check(): Promise<{ selection: Selection; changed: boolean }> {
    this.#tags ??= await supportedTags(this.opts.python);
    const objects = await this.opts.store().list();
    const selection = selectWheels(objects, this.opts.workerTags, this.#tags);
    const m = this.#manifest;
    const want = new Map(selection.selected.map((w) => [w.wheel_name, w.nuid]));
    const have = new Map<string, string>([
      ...Object.entries(m.wheels).map(([n, e]) => [n, e.nuid] as [string, string]),
      ...Object.entries(m.failed).map(([n, e]) => [n, e.nuid] as [string, string]),
    ]);
    const same = want.size === have.size && [...want].every(([n, nuid]) => have.get(n) === nuid);
    const changed = !same || (Object.keys(m.wheels).length > 0 && this.activeDir === null);
    return { selection, changed };
  }

  /** Record a failed attempt (NATS, pip, I/O…); the previous generation stays active. */
  fail(err: unknown): void {
    const now = this.opts.clock.now();
    const text = err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
    this.#state = { ...this.#state, enabled: true, last_result: "error", last_attempt_at: now, last_error: text.slice(0, ERROR_MAX) };
    this.opts.log.warn("wheel sync failed", { err_id: "ERR-PYOCO-0021", error: text.slice(0, 500) });
  }

  /** Unchanged registry: refresh the timestamps and the skipped list. */
  unchanged(selection: Selection): void {
    const now = this.opts.clock.now();
    this.#report(selection, [], [], now);
  }

  /**
   * Build and activate a new generation for `selection`. Downloads the new wheels, installs
   * everything selected into a fresh target, leaves out what pip cannot satisfy, saves the manifest.
   */
  async apply(selection: Selection, signal?: AbortSignal): Promise<SyncOutcome> {
    const { dir, log } = this.opts;
    const started = this.opts.clock.now();
    const old = this.#manifest;
    const selected = new Map(selection.selected.map((w) => [w.wheel_name, w]));
    const removed = Object.keys(old.wheels).filter((n) => !selected.has(n)).sort();
    const updated: string[] = [];

    // 1. Local files: fetch new or changed wheels; drop files of wheels no longer selected.
    for (const w of selection.selected) {
      const entry = old.wheels[w.wheel_name] ?? old.failed[w.wheel_name];
      if (entry && entry.nuid === w.nuid && existsSync(join(dir, w.wheel_name))) continue;
      await this.#download(w);
      updated.push(w.wheel_name);
    }
    for (const name of [...removed, ...Object.keys(old.failed).filter((n) => !selected.has(n))]) rmSync(join(dir, name), { force: true });

    // 2. A fresh generation with exactly the installable wheels.
    const generation = old.generation + 1;
    const target = this.#genDir(generation);
    const { installed, failed } = await this.#build(target, selection.selected, signal);
    const now = this.opts.clock.now();
    const wheels: Record<string, ManifestEntry> = {};
    for (const w of installed) {
      const prev = old.wheels[w.wheel_name];
      wheels[w.wheel_name] = {
        nuid: w.nuid, package_name: w.package_name, package_version: w.package_version, size_bytes: w.size_bytes,
        sha256_hex: w.sha256_hex, tags: w.tags, installed_at: prev && prev.nuid === w.nuid ? prev.installed_at : now,
      };
    }
    this.#manifest = { generation, wheels, failed };
    this.#save();
    log.info("wheel generation built", {
      generation, installed: Object.keys(wheels), failed: Object.keys(failed), removed, updated, duration_ms: Math.round((now - started) * 1000),
    });
    this.#report(selection, updated.filter((n) => n in wheels), removed, now);
    return { changed: true, activated: target };
  }

  /** Delete generation directories other than the active one (call when no runner uses them). */
  pruneGenerations(): void {
    const envs = join(this.opts.dir, "envs");
    if (!existsSync(envs)) return;
    const keep = `gen-${this.#manifest.generation}`;
    for (const name of readdirSync(envs)) if (name !== keep) rmSync(join(envs, name), { recursive: true, force: true });
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  #genDir(n: number): string { return join(this.opts.dir, "envs", `gen-${n}`); }

  async #download(w: SelectedWheel): Promise<void> {
    const found = await this.opts.store().open(w.wheel_name);
    if (!found) throw new Error(`wheel ${w.wheel_name} disappeared from the registry during the sync`);
    const part = join(this.opts.dir, `.${w.wheel_name}.part`);
    const sink = Bun.file(part).writer();
    try {
      for await (const chunk of found.data) sink.write(chunk);   // the stream errors on a digest mismatch
      await sink.end();
    } catch (err) {
      await Promise.resolve(sink.end()).catch(() => undefined);
      rmSync(part, { force: true });
      throw new Error(`download of ${w.wheel_name} failed: ${(err as Error).message}`);
    }
    renameSync(part, join(this.opts.dir, w.wheel_name));
  }

  /**
   * Install `wheels` into `target` (recreated). pip installs all at once when it can; when that
   * fails, one at a time so one broken wheel does not block the others. Then `pip check`: a
   * wheel with unmet requirements is left out and the target rebuilt without it (repeated, as
   * leaving one out can break another that needs it).
   */
  async #build(target: string, wheels: SelectedWheel[], signal?: AbortSignal): Promise<{ installed: SelectedWheel[]; failed: Record<string, FailedEntry> }> {
    const { python, installTimeoutSec, dir } = this.opts;
    const timeoutMs = Math.max(1, installTimeoutSec) * 1000;
    const failed: Record<string, FailedEntry> = {};
    const fail = (w: SelectedWheel, reason: string) => {
      failed[w.wheel_name] = { wheel_name: w.wheel_name, package_name: w.package_name, package_version: w.package_version, nuid: w.nuid, reason: reason.slice(0, ERROR_MAX) };
    };
    let candidates = [...wheels];
    for (let round = 0; round <= wheels.length; round++) {
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target, { recursive: true });
      if (candidates.length === 0) break;
      const files = candidates.map((w) => join(dir, w.wheel_name));
      const all = await pipInstallTarget(python, target, files, { timeoutMs, signal });
      if (!all.ok) {
        if (signal?.aborted) throw new Error("wheel sync interrupted (worker stopping)");
        rmSync(target, { recursive: true, force: true });
        mkdirSync(target, { recursive: true });
        const ok: SelectedWheel[] = [];
        for (const w of candidates) {
          const one = await pipInstallTarget(python, target, [join(dir, w.wheel_name)], { timeoutMs, signal });
          if (one.ok) ok.push(w);
          else fail(w, one.timedOut ? `wheel install timed out: ${w.wheel_name}` : `wheel install failed (code=${one.code}): ${w.wheel_name}: ${tail(one.stderr || one.stdout)}`);
        }
        candidates = ok;
      }
      if (!declaresRequirements(target)) break;   // nothing to check: spare a pip call
      const unmet = await pipCheck(python, target, new Set(candidates.map((w) => w.package_name)), { timeoutMs, signal, basePythonPath: this.opts.basePythonPath });
      if (unmet.length === 0) break;
      const bad = new Map<string, string[]>();
      for (const u of unmet) bad.set(u.package, [...(bad.get(u.package) ?? []), u.reason]);
      for (const w of candidates) if (bad.has(w.package_name)) fail(w, `unmet requirements: ${bad.get(w.package_name)!.join("; ")}`);
      candidates = candidates.filter((w) => !bad.has(w.package_name));
    }
    return { installed: candidates, failed };
  }

  #report(selection: Selection, updated: string[], removed: string[], now: number): void {
    const failed = this.#failedList();
    const lastError = failed.length
      ? failed.map((f) => `${f.wheel_name}: ${f.reason}`).join("\n").slice(0, ERROR_MAX)
      : null;
    this.#state = {
      ...this.#state,
      enabled: true,
      last_result: failed.length ? "error" : "ok",
      last_attempt_at: now,
      ...(failed.length ? {} : { last_success_at: now, last_synced_at: now }),
      last_error: lastError,
      selected_count: selection.selected.length,
      updated_count: updated.length,
      removed_count: removed.length,
      skipped_incompatible_count: selection.skippedIncompatible.length,
      selected_wheels: selection.selected.map((w) => w.wheel_name).slice(0, LIST_MAX),
      updated_wheels: [...updated].sort().slice(0, LIST_MAX),
      removed_wheels: [...removed].sort().slice(0, LIST_MAX),
      skipped_incompatible: selection.skippedIncompatible.slice(0, LIST_MAX),
      installed_wheels: this.#installedList(),
      failed_wheels: failed,
      generation: this.#manifest.generation,
    };
  }

  #installedList() {
    return Object.entries(this.#manifest.wheels).sort(([a], [b]) => (a < b ? -1 : 1)).slice(0, LIST_MAX).map(([name, e]) => ({
      wheel_name: name, package_name: e.package_name, package_version: e.package_version, installed_at: e.installed_at, nuid: e.nuid,
    }));
  }

  #failedList(): FailedEntry[] {
    return Object.values(this.#manifest.failed).sort((a, b) => (a.wheel_name < b.wheel_name ? -1 : 1)).slice(0, LIST_MAX);
  }

  #load(): Manifest {
    try {
      const raw = JSON.parse(readFileSync(join(this.opts.dir, ".installed.json"), "utf8"));
      if (raw && typeof raw === "object" && typeof raw.generation === "number" && raw.wheels && typeof raw.wheels === "object") {
        return { generation: raw.generation, wheels: raw.wheels, failed: raw.failed && typeof raw.failed === "object" ? raw.failed : {} };
      }
    } catch { /* none yet, or unreadable: start over */ }
    return { generation: 0, wheels: {}, failed: {} };
  }

  #save(): void {
    const path = join(this.opts.dir, ".installed.json");
    writeFileSync(`${path}.tmp`, JSON.stringify(this.#manifest));
    renameSync(`${path}.tmp`, path);
  }
}

/** True when any installed distribution in `target` declares a requirement (Requires-Dist). */
function declaresRequirements(target: string): boolean {
  for (const entry of readdirSync(target)) {
    if (!entry.endsWith(".dist-info")) continue;
    try {
      if (/^Requires-Dist:/im.test(readFileSync(join(target, entry, "METADATA"), "utf8"))) return true;
    } catch { return true; }   // unreadable metadata: let pip judge
  }
  return false;
}

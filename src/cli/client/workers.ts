/**
 * `pyoco client workers` (http-contract.md §5.2) and `pyoco client worker-hide|worker-unhide <id>`
 * (additive: the original had the PATCH only in its Python client library).
 */
import { WORKER_STATES } from "../../domain/worker-record.ts";
import { LiveClient } from "../../client/live.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";
import { relativeTime, renderRows } from "./table.ts";

const FLAGS = {
  scope: { type: "string", value: "SCOPE", default: "active", choices: ["active", "all"], description: "active = RUNNING/IDLE, all = every record" },
  state: { type: "string", value: "STATE", choices: WORKER_STATES, description: "only this derived state" },
  "include-hidden": { type: "boolean", description: "include workers hidden by an operator" },
  limit: { type: "string", value: "INT", description: "maximum number of workers (1..500)" },
  output: { type: "string", value: "FORMAT", default: "json", choices: ["json", "table", "plugins"], description: "output format" },
} satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client workers",
  summary: "list workers with their derived state (RUNNING, IDLE, STOPPED_GRACEFUL, DISCONNECTED)",
  examples: ["pyoco client workers --scope all --output table", "pyoco client workers --state DISCONNECTED --scope all"],
};

interface InstalledWheel { wheel_name?: string; package_name?: string; package_version?: string }

function installed(worker: Record<string, any>): InstalledWheel[] {
  const list = worker.wheel_sync?.installed_wheels;
  return Array.isArray(list) ? list.filter((w) => w && typeof w === "object") : [];
}

function tagsCell(worker: Record<string, any>): string {
  return Array.isArray(worker.tags) && worker.tags.length ? worker.tags.join(",") : "-";
}

/** `real 0.6.2` / `double` from the registry's `pyoco: {impl, version}`. */
function pyocoCell(worker: Record<string, any>): string {
  const p = worker.pyoco;
  if (!p || typeof p !== "object") return "-";
  return [p.impl, p.version].filter((x) => typeof x === "string" && x).join(" ") || "-";
}

/** The runs a worker executes now: `current_run_ids` (this project), else the original's `current_run_id`. */
function currentRuns(worker: Record<string, any>): string[] {
  if (Array.isArray(worker.current_run_ids)) return worker.current_run_ids.filter((r: unknown): r is string => typeof r === "string");
  return typeof worker.current_run_id === "string" && worker.current_run_id ? [worker.current_run_id] : [];
}

/** `2: 6772f700,0a1b2c3d` — how many, and the run ids shortened to their first 8 characters. */
function currentRunsCell(worker: Record<string, any>): string {
  const runs = currentRuns(worker);
  if (!runs.length) return "0";
  return `${runs.length}: ` + runs.slice(0, 2).map((r) => r.slice(0, 8)).join(",") + (runs.length > 2 ? `,+${runs.length - 2}` : "");
}

/** Wheel sync in one cell: `off`, or the last result and the number of installed wheels. */
function wheelSyncCell(worker: Record<string, any>): string {
  const ws = worker.wheel_sync;
  if (!ws || typeof ws !== "object" || ws.enabled !== true) return "off";
  const extra = [
    Array.isArray(ws.failed_wheels) && ws.failed_wheels.length ? `${ws.failed_wheels.length} failed` : "",
    typeof ws.skipped_incompatible_count === "number" && ws.skipped_incompatible_count > 0 ? `${ws.skipped_incompatible_count} skipped` : "",
  ].filter(Boolean);
  return `${ws.last_result ?? "?"} (${[`${installed(worker).length} installed`, ...extra].join(", ")})`;
}

/** `worker_id  state  tags  concurrency  current_runs  last_seen  pyoco  wheel_sync`: what an operator asks first. */
export function workersTable(workers: Record<string, any>[], now = Date.now() / 1000): string {
  return renderRows(["worker_id", "state", "tags", "concurrency", "current_runs", "last_seen", "pyoco", "wheel_sync"], workers.map((w) => [
    String(w.worker_id ?? "-"), String(w.state ?? "-"), tagsCell(w),
    typeof w.concurrency === "number" ? String(w.concurrency) : "-", currentRunsCell(w), typeof w.last_seen_at === "number" && w.last_seen_at > 0 ? relativeTime(w.last_seen_at, now) : "-",
    pyocoCell(w), wheelSyncCell(w),
  ]));
}

/** `worker_id  state  tags  package  version  wheel_name`, one row per installed wheel. */
export function pluginsTable(workers: Record<string, any>[]): string {
  const rows: string[][] = [];
  for (const w of workers) {
    const base = [String(w.worker_id ?? "-"), String(w.state ?? "-"), tagsCell(w)];
    const wheels = installed(w);
    if (!wheels.length) rows.push([...base, "-", "-", "-"]);
    for (const x of wheels) rows.push([...base, x.package_name ?? "-", x.package_version ?? "-", x.wheel_name ?? "-"]);
  }
  return renderRows(["worker_id", "state", "tags", "package", "version", "wheel_name"], rows);
}

export const workers: ClientSubcommand = {
  summary: HELP.summary,
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const { flags } = p;
    const limit = numberFlag(flags.limit, "limit", HELP, FLAGS, { integer: true, min: 1, max: 500 });
    const list = await new LiveClient(p.client).workers({ scope: flags.scope, state: flags.state, includeHidden: flags["include-hidden"], limit });
    if (flags.output === "table") ctx.io.stdout(workersTable(list));
    else if (flags.output === "plugins") ctx.io.stdout(pluginsTable(list));
    else printJson(ctx.io, list);
    return 0;
  },
};

function hideCommand(hidden: boolean): ClientSubcommand {
  const help: CommandHelp = {
    program: `pyoco client worker-${hidden ? "hide" : "unhide"}`,
    summary: hidden ? "hide a worker from the default workers list" : "show a hidden worker again",
    positionals: "worker_id",
    examples: [`pyoco client worker-${hidden ? "hide" : "unhide"} worker-gpu-1`],
  };
  return {
    summary: help.summary,
    async run(argv, ctx) {
      const p = parseClientFlags(argv, ctx, {}, help, { maxPositionals: 1 });
      if (p.help) { ctx.io.stdout(p.text); return 0; }
      requireArgs(help, {}, p.flags, [], { names: ["worker_id"], values: p.positionals });
      printJson(ctx.io, await new LiveClient(p.client).patchWorkerHidden(p.positionals[0]!, hidden));
      return 0;
    },
  };
}

export const workerHide = hideCommand(true);
export const workerUnhide = hideCommand(false);

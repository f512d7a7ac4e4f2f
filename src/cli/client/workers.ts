/**
 * `pyoco client workers` (http-contract.md §5.2) and `pyoco client worker-hide|worker-unhide <id>`
 * (additive: the original had the PATCH only in its Python client library).
 */
import { WORKER_STATES } from "../../domain/worker-record.ts";
import { LiveClient } from "../../client/live.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

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

/** Columns left-justified to their widest cell, two spaces apart; no rows → `(no items)`. */
export function renderTable(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "(no items)\n";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

interface InstalledWheel { wheel_name?: string; package_name?: string; package_version?: string }

function installed(worker: Record<string, any>): InstalledWheel[] {
  const list = worker.wheel_sync?.installed_wheels;
  return Array.isArray(list) ? list.filter((w) => w && typeof w === "object") : [];
}

function tagsCell(worker: Record<string, any>): string {
  return Array.isArray(worker.tags) && worker.tags.length ? worker.tags.join(",") : "-";
}

/** `worker_id  state  tags  plugins  plugin_preview` (first 3 as pkg@version, then +N). */
export function workersTable(workers: Record<string, any>[]): string {
  return renderTable(["worker_id", "state", "tags", "plugins", "plugin_preview"], workers.map((w) => {
    const wheels = installed(w);
    const names = wheels.map((x) => (x.package_name && x.package_version ? `${x.package_name}@${x.package_version}` : x.wheel_name ?? "?"));
    const preview = names.length ? names.slice(0, 3).join(",") + (names.length > 3 ? `,+${names.length - 3}` : "") : "-";
    return [String(w.worker_id ?? "-"), String(w.state ?? "-"), tagsCell(w), String(wheels.length), preview];
  }));
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
  return renderTable(["worker_id", "state", "tags", "package", "version", "wheel_name"], rows);
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

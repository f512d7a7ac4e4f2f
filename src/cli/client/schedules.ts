/**
 * `pyoco client schedule-yaml | schedules | schedule-runs | schedule-delete` (the original's
 * names and flags, http-contract.md §5.2) and `schedule-pause | schedule-resume` (ours).
 * JSON by default, as the original prints; `--output table` for people.
 */
import { ScheduleClient } from "../../client/schedules.ts";
import type { YamlSchedule } from "../../client/types.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { parseClientFlags, printJson, readInputFile, requireArgs, type ClientContext, type ClientSubcommand } from "./common.ts";
import { renderTable, runsTable } from "./table.ts";

const OUTPUT = { type: "string", value: "FORMAT", default: "json", choices: ["json", "table"], description: "output format" } as const;
const SCHEDULE_ID = { type: "string", value: "ID", description: "the schedule (required)" } as const;

/** Epoch seconds as a UTC ISO time for tables ("-" when absent). */
function when(sec: unknown): string {
  return typeof sec === "number" && Number.isFinite(sec) ? new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") : "-";
}

/** How often it fires, in one cell: "once", "every 60s", "cron 0 3 * * * (Asia/Tokyo)". */
function cadence(s: YamlSchedule): string {
  if (s.schedule_type === "interval") return `every ${s.interval_seconds}s`;
  if (s.schedule_type === "cron") return `cron ${s.cron ?? "?"} (${s.timezone ?? "UTC"})`;
  return "once";
}

export const SCHEDULE_COLUMNS = ["schedule_id", "status", "cadence", "next_run_at", "dispatch_count", "last_run_status", "flow_name", "tag", "last_error"] as const;

export function schedulesTable(list: YamlSchedule[]): string {
  return renderTable(SCHEDULE_COLUMNS, list.map((s) => ({
    ...s, cadence: cadence(s), next_run_at: when(s.next_run_at), last_run_status: s.last_run_status ?? "-",
  })));
}

/** One schedule as a table, with its next fire times (one per line). */
function scheduleDetail(s: YamlSchedule): string {
  const times = (s.next_fire_times ?? []).map(when);
  return schedulesTable([s]) + (times.length ? `next fires: ${times.join(", ")}\n` : "next fires: (none)\n");
}

function print(ctx: ClientContext, output: string, value: YamlSchedule): void {
  if (output === "table") ctx.io.stdout(scheduleDetail(value));
  else printJson(ctx.io, value);
}

// ── schedule-yaml ───────────────────────────────────────────────────────────────────────────

const CREATE_FLAGS = {
  "workflow-file": { type: "string", value: "PATH", description: "the flow.yaml to schedule (required)" },
  "flow-name": { type: "string", value: "NAME", description: "flow name recorded for the runs (required)" },
  tag: { type: "string", value: "TAG", description: "routing tag (required)" },
  "run-at": { type: "string", value: "ISO", description: "one-shot at this time, ISO 8601 with an offset (e.g. 2026-04-01T09:00:00+09:00)" },
  "interval-seconds": { type: "string", value: "FLOAT", description: "fire every N seconds" },
  "start-at": { type: "string", value: "ISO", description: "with --interval-seconds: the first fire (default now + interval)" },
  cron: { type: "string", value: "EXPR", description: "fire on a 5-field cron expression, e.g. '0 3 * * 1-5'" },
  timezone: { type: "string", value: "TZ", description: "with --cron: IANA time zone (default UTC), e.g. Asia/Tokyo" },
  "misfire-policy": { type: "string", value: "POLICY", choices: ["run_once", "skip"], description: "a fire missed by more than the grace: run once on catch-up, or skip (default run_once)" },
  output: OUTPUT,
} as const satisfies FlagTable;

const CREATE_HELP: CommandHelp = {
  program: "pyoco client schedule-yaml",
  summary: "schedule a flow.yaml: once (--run-at), every N seconds (--interval-seconds) or on a cron (--cron)",
  notes: ["Give exactly one of --run-at, --interval-seconds or --cron. See docs/schedules.md."],
  examples: [
    "pyoco client schedule-yaml --workflow-file flow.yaml --flow-name main --tag cpu --interval-seconds 3600",
    "pyoco client schedule-yaml --workflow-file flow.yaml --flow-name main --tag cpu --run-at 2026-04-01T09:00:00+09:00",
    "pyoco client schedule-yaml --workflow-file flow.yaml --flow-name main --tag cpu --cron '30 2 * * *' --timezone Europe/Berlin",
  ],
};

export const scheduleYaml: ClientSubcommand = {
  summary: "schedule a flow.yaml once, every N seconds, or on a cron",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, CREATE_FLAGS, CREATE_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const f = p.flags;
    requireArgs(CREATE_HELP, CREATE_FLAGS, f, ["workflow-file", "flow-name", "tag"]);
    const intervalSeconds = numberFlag(f["interval-seconds"], "interval-seconds", CREATE_HELP, CREATE_FLAGS);
    const workflow = readInputFile(ctx.io, f["workflow-file"]!);
    const created = await new ScheduleClient(p.client).create({
      workflow, flowName: f["flow-name"]!, tag: f.tag!, runAt: f["run-at"], intervalSeconds, startAt: f["start-at"],
      cron: f.cron, timezone: f.timezone, misfirePolicy: f["misfire-policy"] as "run_once" | "skip" | undefined,
    });
    print(ctx, f.output, created);
    return 0;
  },
};

// ── schedules ───────────────────────────────────────────────────────────────────────────────

const LIST_FLAGS = { output: OUTPUT } as const satisfies FlagTable;
const LIST_HELP: CommandHelp = {
  program: "pyoco client schedules", summary: "list schedules (ACTIVE first, by next fire)",
  examples: ["pyoco client schedules", "pyoco client schedules --output table"],
};

export const schedules: ClientSubcommand = {
  summary: "list schedules",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, LIST_FLAGS, LIST_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const list = await new ScheduleClient(p.client).list();
    if (p.flags.output === "table") ctx.io.stdout(schedulesTable(list));
    else printJson(ctx.io, list);
    return 0;
  },
};

// ── schedule-runs ───────────────────────────────────────────────────────────────────────────

const RUNS_FLAGS = {
  "schedule-id": SCHEDULE_ID,
  limit: { type: "string", value: "INT", description: "at most N runs (server default 50, max 200)" },
  records: { type: "boolean", description: "sent as include=records, as the original CLI does (the list view is unchanged)" },
  full: { type: "boolean", description: "whole run snapshots instead of the list view" },
  output: OUTPUT,
} as const satisfies FlagTable;
const RUNS_HELP: CommandHelp = {
  program: "pyoco client schedule-runs", summary: "list the runs a schedule made, newest first",
  examples: ["pyoco client schedule-runs --schedule-id <id> --limit 20 --output table"],
};

export const scheduleRuns: ClientSubcommand = {
  summary: "list the runs a schedule made",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, RUNS_FLAGS, RUNS_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const f = p.flags;
    requireArgs(RUNS_HELP, RUNS_FLAGS, f, ["schedule-id"]);
    const limit = numberFlag(f.limit, "limit", RUNS_HELP, RUNS_FLAGS, { integer: true });
    const runs = await new ScheduleClient(p.client).runs(f["schedule-id"]!, { limit, include: f.full ? "full" : f.records ? "records" : undefined });
    if (f.output === "table") ctx.io.stdout(runsTable(runs));
    else printJson(ctx.io, runs);
    return 0;
  },
};

// ── schedule-delete / schedule-pause / schedule-resume ──────────────────────────────────────

function byIdCommand(verb: "delete" | "pause" | "resume", summary: string): ClientSubcommand {
  const flags = { "schedule-id": SCHEDULE_ID, output: OUTPUT } as const satisfies FlagTable;
  const help: CommandHelp = {
    program: `pyoco client schedule-${verb}`, summary,
    examples: [`pyoco client schedule-${verb} --schedule-id 0b6f7c4e-1d2a-4c8e-9a51-2f3d4e5f6a7b`],
  };
  return {
    summary,
    async run(argv, ctx) {
      const p = parseClientFlags(argv, ctx, flags, help);
      if (p.help) { ctx.io.stdout(p.text); return 0; }
      requireArgs(help, flags, p.flags, ["schedule-id"]);
      const client = new ScheduleClient(p.client);
      const id = p.flags["schedule-id"]!;
      if (verb === "delete") {
        const out = await client.delete(id);
        if (p.flags.output === "table") ctx.io.stdout(renderTable(["schedule_id", "deleted"], [out]));
        else printJson(ctx.io, out);
      } else {
        print(ctx, p.flags.output, verb === "pause" ? await client.pause(id) : await client.resume(id));
      }
      return 0;
    },
  };
}

export const scheduleDelete = byIdCommand("delete", "delete a schedule (the runs it made are kept)");
export const schedulePause = byIdCommand("pause", "pause a schedule (no fires until resumed)");
export const scheduleResume = byIdCommand("resume", "resume a paused schedule at its next slot");

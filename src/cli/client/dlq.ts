/**
 * `pyoco client dlq list|groups|show|requeue|purge`: the dead-letter queue over HTTP, JSON (the
 * default) or a table. Requeue and purge take an entry's seq, or `--group FINGERPRINT`.
 */
import { numberFlag, usageLine, type CommandHelp, type FlagTable } from "../args.ts";
import { CliUsageError } from "../errors.ts";
import { GLOBAL_FLAGS, parseClientFlags, printJson, type ClientContext, type ClientSubcommand } from "./common.ts";
import { humanTime, renderTable, type CellFormat } from "./table.ts";

const OUTPUT = { type: "string", default: "json", choices: ["json", "table"], value: "FORMAT", description: "output format" } as const;
const FILTERS = {
  reason: { type: "string", value: "REASON", description: "exact reason, e.g. execution_error or flow_not_found" },
  tag: { type: "string", value: "TAG", description: "exact routing tag" },
  flow: { type: "string", value: "NAME", description: "exact flow_name" },
  since: { type: "string", value: "TS", description: "only entries stored at or after TS (epoch seconds)" },
  until: { type: "string", value: "TS", description: "only entries stored before TS (epoch seconds)" },
} as const satisfies FlagTable;

const LIST_FLAGS = {
  ...FILTERS,
  fingerprint: { type: "string", value: "FP", description: "only the entries of this group" },
  cursor: { type: "string", value: "CURSOR", description: "next_cursor of the previous page" },
  limit: { type: "string", value: "N", description: "page size (server default 50, max 500)" },
  output: OUTPUT,
} as const satisfies FlagTable;
const GROUPS_FLAGS = { ...FILTERS, output: OUTPUT } as const satisfies FlagTable;
const SHOW_FLAGS = {} as const satisfies FlagTable;
const ACT_FLAGS = {
  group: { type: "string", value: "FINGERPRINT", description: "act on every entry of this group instead of one seq" },
  output: OUTPUT,
} as const satisfies FlagTable;

const help = (action: string, summary: string, extra: Omit<CommandHelp, "program" | "summary">): CommandHelp => ({ program: `pyoco client dlq ${action}`, summary, ...extra });
const HELPS = {
  list: help("list", "list DLQ entries, newest first", { examples: ["pyoco client dlq list --output table", "pyoco client dlq list --reason execution_error --flow etl --limit 20"] }),
  groups: help("groups", "DLQ entries grouped by reason + flow + error", { examples: ["pyoco client dlq groups --output table"] }),
  show: help("show", "one DLQ entry with its params and flow.yaml", { positionals: "seq", examples: ["pyoco client dlq show 42"] }),
  requeue: help("requeue", "submit an entry's run again (idempotent: a repeat returns the same run)", {
    positionals: "[seq]", examples: ["pyoco client dlq requeue 42", "pyoco client dlq requeue --group 3f9a0c1d2e4b5a69"],
  }),
  purge: help("purge", "delete an entry, or every entry of a group", {
    positionals: "[seq]", examples: ["pyoco client dlq purge 42", "pyoco client dlq purge --group 3f9a0c1d2e4b5a69"],
  }),
};

const ENTRY_COLUMNS = ["seq", "received_at", "reason", "flow_name", "tag", "run_id", "error", "requeued_run_id"] as const;
const GROUP_COLUMNS = ["fingerprint", "count", "reason", "flow_name", "last_seen", "error_pattern"] as const;
const RESULT_COLUMNS = ["seq", "run_id", "status", "created", "detail"] as const;

const clip = (s: string | null | undefined, n = 60) => (s && s.length > n ? s.slice(0, n - 1) + "…" : s ?? null);

/** Times for people (local time and "5m ago"); errors clipped (JSON output has everything). */
function tableFormats(): Record<string, CellFormat> {
  const now = Date.now() / 1000;
  const t: CellFormat = (v) => humanTime(v, now);
  const c: CellFormat = (v) => clip(typeof v === "string" ? v : null) ?? "-";
  return { received_at: t, last_seen: t, first_seen: t, error: c, error_pattern: c };
}

type Action = keyof typeof HELPS;
const ACTIONS = Object.keys(HELPS) as Action[];

const TOP_HELP: CommandHelp = {
  program: "pyoco client dlq", summary: "inspect, requeue and purge dead-letter entries", positionals: "{list,groups,show,requeue,purge} ...",
  notes: ["actions:", ...ACTIONS.map((a) => `  ${a.padEnd(8)}  ${HELPS[a].summary}`), "", "Run `pyoco client dlq <action> --help` for its options."],
  examples: ["pyoco client dlq groups --output table", "pyoco client dlq requeue --group 3f9a0c1d2e4b5a69"],
};

function seqArg(raw: string | undefined, h: CommandHelp, flags: FlagTable): number {
  if (raw === undefined) throw new CliUsageError("the following arguments are required: seq (or --group FINGERPRINT)", usageLine(h, { ...flags, ...GLOBAL_FLAGS }), h.program);
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new CliUsageError(`argument seq: invalid int value: '${raw}'`, usageLine(h, { ...flags, ...GLOBAL_FLAGS }), h.program);
  return Number(raw);
}

async function runAction(action: Action, argv: string[], ctx: ClientContext): Promise<number> {
  const { io } = ctx;
  const h = HELPS[action];
  switch (action) {
    case "list": {
      const p = parseClientFlags(argv, ctx, LIST_FLAGS, h, { maxPositionals: 0 });
      if (p.help) { io.stdout(p.text); return 0; }
      const f = p.flags;
      const page = await p.client.listDlq({
        reason: f.reason, tag: f.tag, flow: f.flow, fingerprint: f.fingerprint, cursor: f.cursor,
        since: numberFlag(f.since, "since", h, LIST_FLAGS), until: numberFlag(f.until, "until", h, LIST_FLAGS),
        limit: numberFlag(f.limit, "limit", h, LIST_FLAGS, { integer: true, min: 1, max: 500 }),
      });
      if (f.output === "table") {
        io.stdout(renderTable(ENTRY_COLUMNS, page.items, tableFormats()));
        if (page.next_cursor) io.stdout(`next_cursor: ${page.next_cursor}\n`);
      } else printJson(io, page);
      return 0;
    }
    case "groups": {
      const p = parseClientFlags(argv, ctx, GROUPS_FLAGS, h, { maxPositionals: 0 });
      if (p.help) { io.stdout(p.text); return 0; }
      const f = p.flags;
      const groups = await p.client.dlqGroups({
        reason: f.reason, tag: f.tag, flow: f.flow,
        since: numberFlag(f.since, "since", h, GROUPS_FLAGS), until: numberFlag(f.until, "until", h, GROUPS_FLAGS),
      });
      if (f.output === "table") io.stdout(renderTable(GROUP_COLUMNS, groups.items as unknown as Record<string, unknown>[], tableFormats()));
      else printJson(io, groups);
      return 0;
    }
    case "show": {
      const p = parseClientFlags(argv, ctx, SHOW_FLAGS, h, { maxPositionals: 1 });
      if (p.help) { io.stdout(p.text); return 0; }
      printJson(io, await p.client.getDlq(seqArg(p.positionals[0], h, SHOW_FLAGS)));
      return 0;
    }
    case "requeue":
    case "purge": {
      const p = parseClientFlags(argv, ctx, ACT_FLAGS, h, { maxPositionals: 1 });
      if (p.help) { io.stdout(p.text); return 0; }
      const group = p.flags.group;
      if (group !== undefined && p.positionals.length) {
        throw new CliUsageError("argument seq: not allowed with argument --group", usageLine(h, { ...ACT_FLAGS, ...GLOBAL_FLAGS }), h.program);
      }
      let out: unknown;
      let rows: object[];
      let columns: readonly string[] = RESULT_COLUMNS;
      if (action === "requeue") {
        if (group !== undefined) { const r = await p.client.requeueDlqGroup(group); out = r; rows = r.requeued; }
        else { const r = await p.client.requeueDlq(seqArg(p.positionals[0], h, ACT_FLAGS)); out = r; rows = [r]; }
      } else {
        const r = group !== undefined ? await p.client.deleteDlqGroup(group) : await p.client.deleteDlq(seqArg(p.positionals[0], h, ACT_FLAGS));
        out = r; rows = [r]; columns = group !== undefined ? ["fingerprint", "deleted"] : ["seq", "deleted"];
      }
      if (p.flags.output === "table") io.stdout(renderTable(columns, rows as Record<string, unknown>[]));
      else printJson(io, out);
      return 0;
    }
  }
}

export const dlq: ClientSubcommand = {
  summary: TOP_HELP.summary,
  async run(argv, ctx) {
    const [action, ...rest] = argv;
    if (action === undefined || action === "-h" || action === "--help") {
      ctx.io.stdout(renderTopHelp());
      return 0;
    }
    if (!(ACTIONS as string[]).includes(action)) {
      throw new CliUsageError(`argument action: invalid choice: '${action}' (choose from ${ACTIONS.map((a) => `'${a}'`).join(", ")})`, usageLine(TOP_HELP, GLOBAL_FLAGS), TOP_HELP.program);
    }
    return runAction(action as Action, rest, { ...ctx, program: `${ctx.program} ${action}` });
  },
};

function renderTopHelp(): string {
  const lines = [`usage: ${TOP_HELP.program} ${TOP_HELP.positionals}`, "", TOP_HELP.summary, "", ...TOP_HELP.notes!, "", "examples:", ...TOP_HELP.examples!.map((e) => `  ${e}`)];
  return lines.join("\n") + "\n";
}

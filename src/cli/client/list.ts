/** `pyoco client list` (legacy array) and `pyoco client list-vnext` (pages with next_cursor). */
import type { CommandHelp, FlagTable } from "../args.ts";
import { numberFlag } from "../args.ts";
import { RUN_STATUSES } from "../../domain/run.ts";
import { parseClientFlags, printJson, type ClientSubcommand } from "./common.ts";
import { runsTable } from "./table.ts";

const LIST_FLAGS = {
  status: { type: "string", value: "STATUS", choices: RUN_STATUSES, description: "only runs with this status" },
  flow: { type: "string", value: "NAME", description: "exact flow_name" },
  tag: { type: "string", value: "TAG", description: "exact routing tag" },
  full: { type: "boolean", description: "whole snapshots instead of the list view" },
  limit: { type: "string", value: "N", description: "at most N runs, 1..200 (server default 50)" },
  output: { type: "string", default: "json", choices: ["json", "table"], value: "FORMAT", description: "output format" },
} as const satisfies FlagTable;

const VNEXT_FLAGS = {
  ...LIST_FLAGS,
  "updated-after": { type: "string", value: "TS", description: "only runs with updated_at > TS (epoch seconds)" },
  cursor: { type: "string", value: "CURSOR", description: "next_cursor of the previous page" },
  "workflow-yaml-sha256": { type: "string", value: "HEX", description: "only runs of this flow.yaml" },
} as const satisfies FlagTable;

/** The gateway's bounds of `GET /runs?limit=` (run-schemas.ts), checked before the request. */
const LIMIT_RANGE = { integer: true, min: 1, max: 200 };

const LIST_HELP: CommandHelp = {
  program: "pyoco client list", summary: "list runs, newest first",
  examples: ["pyoco client list --output table", "pyoco client list --status RUNNING --tag cpu --limit 20"],
};
const VNEXT_HELP: CommandHelp = {
  program: "pyoco client list-vnext", summary: "list runs page by page ({items, next_cursor})",
  notes: ["A page with next_cursor is returned when --updated-after, --cursor or --workflow-yaml-sha256 is given;",
    "start paging with --updated-after 0 and continue with --cursor <next_cursor>."],
  examples: ["pyoco client list-vnext --updated-after 0 --limit 50", "pyoco client list-vnext --cursor eyJ1Ijo... --output table"],
};

export const list: ClientSubcommand = {
  summary: "list runs (JSON array or table)",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, LIST_FLAGS, LIST_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const f = p.flags;
    const items = await p.client.list({ status: f.status, flow: f.flow, tag: f.tag, full: f.full, limit: numberFlag(f.limit, "limit", LIST_HELP, LIST_FLAGS, LIMIT_RANGE) });
    if (f.output === "table") ctx.io.stdout(runsTable(items));
    else printJson(ctx.io, items);
    return 0;
  },
};

export const listVnext: ClientSubcommand = {
  summary: "list runs page by page (JSON object or table + next_cursor)",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, VNEXT_FLAGS, VNEXT_HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    const f = p.flags;
    const page = await p.client.listVnext({
      status: f.status, flow: f.flow, tag: f.tag, full: f.full,
      limit: numberFlag(f.limit, "limit", VNEXT_HELP, VNEXT_FLAGS, LIMIT_RANGE),
      updatedAfter: numberFlag(f["updated-after"], "updated-after", VNEXT_HELP, VNEXT_FLAGS),
      cursor: f.cursor, workflowYamlSha256: f["workflow-yaml-sha256"],
    });
    if (f.output === "table") {
      ctx.io.stdout(runsTable(page.items));
      if (page.next_cursor) ctx.io.stdout(`next_cursor: ${page.next_cursor}\n`);
    } else printJson(ctx.io, page);
    return 0;
  },
};

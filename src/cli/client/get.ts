/** `pyoco client get RUN_ID` and `pyoco client tasks RUN_ID` (JSON as the original, or a table for people). */
import type { CommandHelp, FlagTable } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";
import { runTable, tasksTable } from "./table.ts";

const OUTPUT = { type: "string", value: "FORMAT", default: "json", choices: ["json", "table"], description: "JSON (wire values) or a table with local times" } as const;

const GET_FLAGS = { records: { type: "boolean", description: "include task_records" }, output: OUTPUT } as const satisfies FlagTable;
const GET_HELP: CommandHelp = {
  program: "pyoco client get", summary: "print one run's snapshot", positionals: "run_id",
  examples: ["pyoco client get 6772f700-084c-4b6f-a565-8d321e826207 --records", "pyoco client get 6772f700-084c-4b6f-a565-8d321e826207 --output table"],
};

export const get: ClientSubcommand = {
  summary: "print one run's snapshot",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, GET_FLAGS, GET_HELP, { maxPositionals: 1 });
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(GET_HELP, GET_FLAGS, p.flags, [], { names: ["run_id"], values: p.positionals });
    const table = p.flags.output === "table";
    // The table shows the tasks with their times, so it asks for the records.
    const run = await p.client.getRun(p.positionals[0]!, { includeRecords: p.flags.records || table });
    if (table) ctx.io.stdout(runTable(run));
    else printJson(ctx.io, run);
    return 0;
  },
};

const TASKS_FLAGS = { output: OUTPUT } as const satisfies FlagTable;
const TASKS_HELP: CommandHelp = {
  program: "pyoco client tasks", summary: "print a run's task states and records", positionals: "run_id",
  examples: ["pyoco client tasks 6772f700-084c-4b6f-a565-8d321e826207", "pyoco client tasks 6772f700-084c-4b6f-a565-8d321e826207 --output table"],
};

export const tasks: ClientSubcommand = {
  summary: "print a run's task states and records",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, TASKS_FLAGS, TASKS_HELP, { maxPositionals: 1 });
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(TASKS_HELP, TASKS_FLAGS, p.flags, [], { names: ["run_id"], values: p.positionals });
    const view = await p.client.tasks(p.positionals[0]!) as Record<string, any>;
    if (p.flags.output !== "table") { printJson(ctx.io, view); return 0; }
    ctx.io.stdout(`run ${view.run_id}  flow ${view.flow_name}  status ${view.status}${view.task_records_truncated ? "  (task records truncated)" : ""}\n\n`);
    ctx.io.stdout(tasksTable(view.tasks ?? {}, view.task_records ?? {}));
    return 0;
  },
};

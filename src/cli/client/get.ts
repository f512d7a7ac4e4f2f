/** `pyoco client get RUN_ID` and `pyoco client tasks RUN_ID`. */
import type { CommandHelp, FlagTable } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

const GET_FLAGS = { records: { type: "boolean", description: "include task_records" } } as const satisfies FlagTable;
const GET_HELP: CommandHelp = {
  program: "pyoco client get", summary: "print one run's snapshot", positionals: "run_id",
  examples: ["pyoco client get 6772f700-084c-4b6f-a565-8d321e826207 --records"],
};

export const get: ClientSubcommand = {
  summary: "print one run's snapshot",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, GET_FLAGS, GET_HELP, { maxPositionals: 1 });
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(GET_HELP, GET_FLAGS, p.flags, [], { names: ["run_id"], values: p.positionals });
    printJson(ctx.io, await p.client.getRun(p.positionals[0]!, { includeRecords: p.flags.records }));
    return 0;
  },
};

const TASKS_HELP: CommandHelp = {
  program: "pyoco client tasks", summary: "print a run's task states and records", positionals: "run_id",
  examples: ["pyoco client tasks 6772f700-084c-4b6f-a565-8d321e826207"],
};

export const tasks: ClientSubcommand = {
  summary: "print a run's task states and records",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, {}, TASKS_HELP, { maxPositionals: 1 });
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(TASKS_HELP, {}, p.flags, [], { names: ["run_id"], values: p.positionals });
    printJson(ctx.io, await p.client.tasks(p.positionals[0]!));
    return 0;
  },
};

/** `pyoco client cancel --run-id ID [--reason TEXT] [--wait --timeout-sec N]`. */
import type { CommandHelp, FlagTable } from "../args.ts";
import { numberFlag } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

const FLAGS = {
  "run-id": { type: "string", value: "ID", description: "run to cancel (required)" },
  reason: { type: "string", value: "TEXT", description: "recorded as cancel_reason" },
  wait: { type: "boolean", description: "wait until the run is COMPLETED, FAILED or CANCELLED; prints the final snapshot" },
  "timeout-sec": { type: "string", default: "30", value: "N", description: "how long --wait waits (at least 1 s)" },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client cancel",
  summary: "request cancellation of a run",
  notes: ["exit 0 once the request is recorded (with --wait: once the run is terminal); exit 1 with ERR-PYOCO-CANCEL on a --wait timeout"],
  examples: ["pyoco client cancel --run-id 6772f700-084c-4b6f-a565-8d321e826207 --reason 'wrong input' --wait --timeout-sec 60"],
};

const cancel: ClientSubcommand = {
  summary: "request cancellation of a run (optionally wait for the end)",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(HELP, FLAGS, p.flags, ["run-id"]);
    const timeoutSec = numberFlag(p.flags["timeout-sec"], "timeout-sec", HELP, FLAGS, { integer: true })!;
    const runId = p.flags["run-id"]!;
    const requested = await p.client.cancel(runId, { reason: p.flags.reason });
    if (!p.flags.wait) { printJson(ctx.io, requested); return 0; }
    printJson(ctx.io, await p.client.waitTerminal(runId, { timeoutMs: timeoutSec * 1000, signal: ctx.io.signal }));
    return 0;
  },
};
export default cancel;

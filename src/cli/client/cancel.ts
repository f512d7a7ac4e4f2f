/** `pyoco client cancel --run-id ID [--reason TEXT] [--wait --timeout-sec N]`. */
import { WaitTimeoutError } from "../../client/index.ts";
import { effectiveEnv } from "../../config/index.ts";
import type { CommandHelp, FlagTable } from "../args.ts";
import { numberFlag } from "../args.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

/** The worker's default PYOCO_CANCEL_GRACE_PERIOD_SEC (config/settings.ts). */
const DEFAULT_GRACE_SEC = 30;
/** After the grace period the runner gets SIGTERM, then SIGKILL, and the worker writes CANCELLED: allow for that. */
const AFTER_GRACE_SEC = 30;

const FLAGS = {
  "run-id": { type: "string", value: "ID", description: "run to cancel (required)" },
  reason: { type: "string", value: "TEXT", description: "recorded as cancel_reason" },
  wait: { type: "boolean", description: "wait until the run is COMPLETED, FAILED or CANCELLED; prints the final snapshot" },
  "timeout-sec": {
    type: "string", value: "N",
    description: `how long --wait waits, at least 1 s (default: the cancel grace period PYOCO_CANCEL_GRACE_PERIOD_SEC, ${DEFAULT_GRACE_SEC} s unless set, + ${AFTER_GRACE_SEC} s)`,
  },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client cancel",
  summary: "request cancellation of a run",
  notes: [
    "A running run is asked to stop; if it has not stopped after the worker's cancel grace period",
    "(PYOCO_CANCEL_GRACE_PERIOD_SEC) its process is killed. --wait therefore waits longer than that by default.",
    "exit 0 once the request is recorded (with --wait: once the run is terminal); exit 1 with ERR-PYOCO-CANCEL on a --wait timeout",
  ],
  examples: ["pyoco client cancel --run-id 6772f700-084c-4b6f-a565-8d321e826207 --reason 'wrong input' --wait --timeout-sec 90"],
};

/** The grace period as this machine's settings give it (the worker's may differ; the default is the same). */
function gracePeriodSec(env: Record<string, string | undefined>): number {
  const n = Number(env.PYOCO_CANCEL_GRACE_PERIOD_SEC?.trim());
  return Number.isFinite(n) && n >= 0 && env.PYOCO_CANCEL_GRACE_PERIOD_SEC?.trim() ? n : DEFAULT_GRACE_SEC;
}

const cancel: ClientSubcommand = {
  summary: "request cancellation of a run (optionally wait for the end)",
  async run(argv, ctx) {
    const p = parseClientFlags(argv, ctx, FLAGS, HELP);
    if (p.help) { ctx.io.stdout(p.text); return 0; }
    requireArgs(HELP, FLAGS, p.flags, ["run-id"]);
    const graceSec = gracePeriodSec(effectiveEnv(ctx.io.env, ctx.io.cwd));
    const timeoutSec = numberFlag(p.flags["timeout-sec"], "timeout-sec", HELP, FLAGS, { min: 0 }) ?? Math.ceil(graceSec + AFTER_GRACE_SEC);
    const runId = p.flags["run-id"]!;
    const requested = await p.client.cancel(runId, { reason: p.flags.reason });
    if (!p.flags.wait) { printJson(ctx.io, requested); return 0; }
    try {
      printJson(ctx.io, await p.client.waitTerminal(runId, { timeoutMs: timeoutSec * 1000, signal: ctx.io.signal }));
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      throw new WaitTimeoutError(runId, `${err.message} after ${Math.max(1, timeoutSec)} s; a running run may take the cancel grace period `
        + `(PYOCO_CANCEL_GRACE_PERIOD_SEC, ${graceSec} s here) to stop before the worker kills it`);
    }
    return 0;
  },
};
export default cancel;

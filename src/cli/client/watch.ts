/**
 * `pyoco client watch <run_id>` (http-contract.md §5.2, decisions.md §3.4): follow a run's SSE
 * stream. No read timeout (the original died after 5 s of silence); when the server ends a
 * non-terminal stream (its timeout_sec) or the connection drops, it reconnects with
 * `Last-Event-ID`, so no update is missed and no event is printed twice.
 */
import { ConnectionError } from "../../client/errors.ts";
import { LiveClient, type WatchEvent } from "../../client/live.ts";
import { isTerminal } from "../../domain/run.ts";
import { sleep } from "../../lib/async.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { pyJson } from "../py-json.ts";
import { localIso } from "./table.ts";
import { parseClientFlags, requireArgs, type ClientSubcommand } from "./common.ts";

const FLAGS = {
  records: { type: "boolean", description: "include task_records in snapshots" },
  since: { type: "string", value: "FLOAT", description: "only snapshots with updated_at >= since" },
  "timeout-sec": { type: "string", value: "INT", description: "server-side stream timeout 1..600; the watch ends with that stream" },
  "max-events": { type: "string", value: "INT", default: "0", description: "stop after N events (0 = unlimited)" },
  "until-terminal": { type: "boolean", description: "exit 0 once the run is COMPLETED, FAILED or CANCELLED" },
  output: { type: "string", value: "FORMAT", default: "json", choices: ["json", "status"], description: "one line per event: JSON (wire values) or `local-time<TAB>event<TAB>status<TAB>run_id`" },
} satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client watch",
  summary: "follow a run's events (server-sent events, resumed with Last-Event-ID)",
  positionals: "run_id",
  examples: ["pyoco client watch 6772f700-084c-4b6f-a565-8d321e826207 --until-terminal --output status"],
};

/** How long a dropped stream keeps being retried before the watch gives up. */
const RECONNECT_GIVE_UP_MS = 30_000;

/**
 * `<ts>\t<event>\t<status>\t<run_id>` (http-contract.md §5.2), with ts as local time to the
 * millisecond (`2026-11-29 23:45:12.345`) instead of epoch seconds; `--output json` keeps those.
 */
export function statusLine(ev: WatchEvent, runId: string): string {
  const data = (ev.data ?? {}) as Record<string, any>;
  const snapshot = (data.snapshot ?? null) as Record<string, unknown> | null;
  const raw = data.ts ?? snapshot?.updated_at;
  const ts = typeof raw === "number" && Number.isFinite(raw) && raw > 0 ? `${localIso(raw)}.${String(Math.floor((raw % 1) * 1000)).padStart(3, "0")}` : (raw ?? "-");
  const status = snapshot?.status ?? "-";
  return `${ts}\t${ev.event}\t${status}\t${data.run_id ?? runId}`;
}

export const watch: ClientSubcommand = { summary: HELP.summary, run: (argv, ctx) => runWatch(argv, ctx) };

async function runWatch(argv: string[], ctx: Parameters<ClientSubcommand["run"]>[1]): Promise<number> {
  const { io } = ctx;
  const parsed = parseClientFlags(argv, ctx, FLAGS, HELP, { maxPositionals: 1 });
  if (parsed.help) { io.stdout(parsed.text); return 0; }
  const { flags } = parsed;
  requireArgs(HELP, FLAGS, flags, [], { names: ["run_id"], values: parsed.positionals });
  const runId = parsed.positionals[0]!;
  const since = numberFlag(flags.since, "since", HELP, FLAGS);
  const timeoutSec = numberFlag(flags["timeout-sec"], "timeout-sec", HELP, FLAGS, { integer: true, min: 1, max: 600 });
  const maxEvents = numberFlag(flags["max-events"], "max-events", HELP, FLAGS, { integer: true, min: 0 }) ?? 0;
  const client = new LiveClient(parsed.client);

  let lastEventId: string | null = null;
  let printed = 0;
  let failingSince: number | null = null;
  for (;;) {
    let sawTerminal = false;
    let received = 0;
    try {
      for await (const ev of client.watch(runId, { records: flags.records, since, timeoutSec, lastEventId, signal: io.signal })) {
        failingSince = null;
        received++;
        if (ev.id) lastEventId = ev.id;
        io.stdout((flags.output === "status" ? statusLine(ev, runId) : pyJson({ event: ev.event, data: ev.data })) + "\n");
        printed++;
        if (maxEvents > 0 && printed >= maxEvents) return 0;
        if (ev.event === "snapshot" && isTerminal(ev.data?.snapshot?.status)) sawTerminal = true;
        if (sawTerminal && flags["until-terminal"]) return 0;
      }
    } catch (err) {
      if (io.signal.aborted) return 130;
      // Only a dropped stream is retried; an HTTP error (404, 401, …) or a first connect failure is final.
      if (!(err instanceof ConnectionError) || lastEventId === null) throw err;
      failingSince ??= Date.now();
      if (Date.now() - failingSince > RECONNECT_GIVE_UP_MS) throw err;
      await sleep(Math.min(2000, 100 + (Date.now() - failingSince) / 4), io.signal);
      continue;
    }
    if (io.signal.aborted) return 130;
    // The server ended the stream. After the terminal snapshot we are done; an immediately empty
    // stream means the run is terminal (or gone) and we already have its last state; with an
    // explicit --timeout-sec the user asked for a bounded watch. Otherwise resume where we left off.
    if (sawTerminal || received === 0 || timeoutSec !== undefined) return 0;
  }
}

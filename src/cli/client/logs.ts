/**
 * `pyoco client logs RUN_ID [--follow]`: a run's task log lines (print/stderr/logging). Without
 * --follow every stored line is printed; with --follow lines are printed as they are written
 * until the run has ended, reconnecting with Last-Event-ID when the stream drops.
 */
import { ConnectionError } from "../../client/errors.ts";
import type { LogLine, LogPage } from "../../client/types.ts";
import { sleep } from "../../lib/async.ts";
import { numberFlag, type CommandHelp, type FlagTable } from "../args.ts";
import { pyJson } from "../py-json.ts";
import { parseClientFlags, printJson, requireArgs, type ClientSubcommand } from "./common.ts";

const FLAGS = {
  follow: { type: "boolean", short: "f", description: "keep printing new lines until the run has ended" },
  "since-seq": { type: "string", value: "N", description: "only lines after this sequence" },
  output: { type: "string", default: "text", choices: ["text", "json"], value: "FORMAT", description: "text lines, or JSON (a page; one line object per line with --follow)" },
} as const satisfies FlagTable;

const HELP: CommandHelp = {
  program: "pyoco client logs", summary: "print a run's task logs (stdout, stderr, logging records)", positionals: "run_id",
  notes: ["Text columns: time (UTC), task, stream or logging level, message. stdout/stderr of a task arrive when the task ends;",
    "logging records as they are written. A 'system' line reports lines dropped past the per-run limits."],
  examples: ["pyoco client logs 6772f700-084c-4b6f-a565-8d321e826207", "pyoco client logs 6772f700-084c-4b6f-a565-8d321e826207 --follow"],
};

const PAGE = 1000;
const RECONNECT_GIVE_UP_MS = 30_000;

/** `2026-01-02T03:04:05.678Z  task  INFO  message` */
export function logText(l: LogLine): string {
  const when = new Date(l.ts * 1000).toISOString();
  const kind = l.stream === "log" ? (l.level ?? "LOG") : l.stream;
  return `${when}  ${l.task ?? "-"}  ${kind}  ${l.message}`;
}

export const logs: ClientSubcommand = {
  summary: HELP.summary,
  async run(argv, ctx) {
    const { io } = ctx;
    const p = parseClientFlags(argv, ctx, FLAGS, HELP, { maxPositionals: 1 });
    if (p.help) { io.stdout(p.text); return 0; }
    requireArgs(HELP, FLAGS, p.flags, [], { names: ["run_id"], values: p.positionals });
    const runId = p.positionals[0]!;
    const sinceSeq = numberFlag(p.flags["since-seq"], "since-seq", HELP, FLAGS, { integer: true, min: 0 }) ?? 0;
    const json = p.flags.output === "json";

    if (!p.flags.follow) {
      const all: LogPage = { run_id: runId, items: [], next_seq: null, dropped: 0 };
      let since = sinceSeq;
      for (;;) {
        const page = await p.client.logs(runId, { sinceSeq: since, limit: PAGE });
        all.items.push(...page.items);
        all.dropped += page.dropped;
        if (page.next_seq !== null) all.next_seq = page.next_seq;
        if (!json) for (const l of page.items) io.stdout(logText(l) + "\n");
        if (page.next_seq === null || page.items.length < PAGE) break;
        since = page.next_seq;
      }
      if (json) printJson(io, all);
      return 0;
    }

    let lastEventId: string | null = sinceSeq > 0 ? String(sinceSeq) : null;
    let failingSince: number | null = null;
    for (;;) {
      try {
        for await (const ev of p.client.watchLogs(runId, { lastEventId, signal: io.signal })) {
          failingSince = null;
          if (ev.event === "end") return 0;
          if (ev.event !== "log" || !("line" in ev)) continue;
          if (ev.id) lastEventId = ev.id;
          io.stdout((json ? pyJson(ev.line) : logText(ev.line)) + "\n");
        }
      } catch (err) {
        if (io.signal.aborted) return 130;
        if (!(err instanceof ConnectionError)) throw err;   // 404, 401, …: final
        failingSince ??= Date.now();
        if (Date.now() - failingSince > RECONNECT_GIVE_UP_MS) throw err;
        await sleep(Math.min(2000, 100 + (Date.now() - failingSince) / 4), io.signal);
        continue;
      }
      if (io.signal.aborted) return 130;
      // The server ended the stream without "end" (its timeout): resume where we left off.
    }
  },
};

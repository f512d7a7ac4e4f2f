/**
 * `pyoco client [--server URL] [--api-key KEY] [--api-key-header NAME] <subcommand> …`
 * (http-contract.md §5.2). Every user operation over HTTP; JSON on stdout in the original's format.
 *
 * ── Adding a subcommand ── write `./<name>.ts` with a default-exported ClientSubcommand (see
 * common.ts) and add ONE line to SUBCOMMANDS below. Errors thrown by the HTTP client are rendered
 * here (ERR-PYOCO-HTTP request/connection blocks, exit 1), so subcommands just throw.
 */
import { ConnectionError, HttpStatusError, InvalidResponseError, WaitTimeoutError } from "../../client/index.ts";
import { closestFlag, parseFlags, renderHelp, usageLine, type CommandHelp } from "../args.ts";
import type { Command } from "../command.ts";
import { CliFailure, CliUsageError } from "../errors.ts";
import { DEFAULT_SERVER, GLOBAL_FLAGS, makeClient, type ClientContext, type ClientSubcommand, type GlobalFlags } from "./common.ts";

type Loader = () => Promise<ClientSubcommand>;

/** The subcommand table (lazy). ADD NEW SUBCOMMANDS HERE. */
export const SUBCOMMANDS: Record<string, Loader> = {
  submit: async () => (await import("./submit.ts")).default,
  "submit-yaml": async () => (await import("./submit-yaml.ts")).default,
  get: async () => (await import("./get.ts")).get,
  tasks: async () => (await import("./get.ts")).tasks,
  list: async () => (await import("./list.ts")).list,
  "list-vnext": async () => (await import("./list.ts")).listVnext,
  cancel: async () => (await import("./cancel.ts")).default,
  watch: async () => (await import("./watch.ts")).watch,
  workers: async () => (await import("./workers.ts")).workers,
  "worker-hide": async () => (await import("./workers.ts")).workerHide,
  "worker-unhide": async () => (await import("./workers.ts")).workerUnhide,
  dlq: async () => (await import("./dlq.ts")).dlq,
  metrics: async () => (await import("./metrics.ts")).default,
  logs: async () => (await import("./logs.ts")).logs,
  wheels: async () => (await import("./wheels.ts")).wheels,
  "wheel-upload": async () => (await import("./wheels.ts")).wheelUpload,
  "wheel-delete": async () => (await import("./wheels.ts")).wheelDelete,
  "wheel-history": async () => (await import("./wheels.ts")).wheelHistory,
  "schedule-yaml": async () => (await import("./schedules.ts")).scheduleYaml,
  schedules: async () => (await import("./schedules.ts")).schedules,
  "schedule-runs": async () => (await import("./schedules.ts")).scheduleRuns,
  "schedule-delete": async () => (await import("./schedules.ts")).scheduleDelete,
  "schedule-pause": async () => (await import("./schedules.ts")).schedulePause,
  "schedule-resume": async () => (await import("./schedules.ts")).scheduleResume,
};

/** One-line summaries for `pyoco client --help` (kept here so help needs no imports). */
const SUMMARIES: Record<string, string> = {
  submit: "submit a run by flow name (params from --params-file/--params/--param)",
  "submit-yaml": "submit a run from a single-flow flow.yaml",
  get: "print one run's snapshot",
  tasks: "print a run's task states and records",
  list: "list runs (JSON array or table)",
  "list-vnext": "list runs page by page ({items, next_cursor})",
  cancel: "request cancellation of a run; --wait until it ends",
  watch: "follow a run's snapshots live (server-sent events)",
  workers: "list workers and their state",
  "worker-hide": "hide a worker from the default workers list",
  "worker-unhide": "show a hidden worker again",
  dlq: "dead-letter entries: list, groups, show, requeue, purge",
  metrics: "print the gateway's Prometheus metrics (GET /metrics)",
  logs: "print a run's task logs; --follow until the run ends",
  wheels: "list the wheels in the registry",
  "wheel-upload": "upload a wheel for workers to install (streamed, progress bar on a terminal)",
  "wheel-delete": "delete a wheel from the registry",
  "wheel-history": "list wheel uploads and deletes with who and from where",
  "schedule-yaml": "schedule a flow.yaml once, every N seconds, or on a cron",
  schedules: "list schedules (JSON array or table)",
  "schedule-runs": "list the runs a schedule made",
  "schedule-delete": "delete a schedule (its runs are kept)",
  "schedule-pause": "pause a schedule",
  "schedule-resume": "resume a paused schedule",
};

const HELP: CommandHelp = {
  program: "pyoco client",
  summary: "submit, inspect, list and cancel runs through the HTTP gateway",
  positionals: "<subcommand> ...",
  examples: [
    "pyoco client submit --flow-name main --param x=1 --tag cpu",
    "pyoco client --server http://10.0.0.5:8000 list --output table",
    "pyoco client cancel --run-id <id> --wait",
  ],
};

function helpText(): string {
  const names = Object.keys(SUBCOMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  const rows = names.map((n) => `  ${n.padEnd(width)}  ${SUMMARIES[n] ?? ""}`);
  return renderHelp({ ...HELP, notes: ["subcommands:", ...rows, "", "Run `pyoco client <subcommand> --help` for its options."] }, GLOBAL_FLAGS);
}

/** Split argv into global flags (before the subcommand name), the name, and the rest. */
function splitGlobals(argv: string[]): { globals: string[]; name?: string; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-") && argv[i] !== "-h" && argv[i] !== "--help") {
    const arg = argv[i]!;
    globals.push(arg);
    const flag = arg.replace(/^--/, "").split("=")[0]!;
    if (!arg.includes("=") && flag in GLOBAL_FLAGS && i + 1 < argv.length) globals.push(argv[++i]!);
    i++;
  }
  return { globals, name: argv[i], rest: argv.slice(i + 1) };
}

/** The hint for an HTTP error status: the thing to do next, naming the server and the flag. */
function httpHint(err: HttpStatusError, server: string): string {
  const detail = err.detail;
  switch (err.status) {
    case 401: return "pass --api-key KEY (or set PYOCO_API_KEY); an operator creates keys with `pyoco admin api-key create --tenant TEAM`";
    case 403: return "the API key was refused (unknown or revoked): pass a valid --api-key (`pyoco admin api-key list` shows the keys)";
    case 404:
      if (detail === "run not found") return `no such run at ${server}; \`pyoco client list --output table\` shows the runs`;
      if (detail === "worker not found") return `no such worker at ${server}; \`pyoco client workers --scope all --output table\` shows them`;
      if (detail === "schedule not found") return `no such schedule at ${server}; \`pyoco client schedules --output table\` shows the schedules`;
      return `${server} has no ${err.method} ${err.path}; check that --server points at a pyoco gateway of this version`;
    case 413:
      if (detail === "job too large") return "the params are larger than one NATS message may carry; pass a reference (a path or URL) instead of the data";
      if (detail === "request body too large") return "the request is larger than the gateway allows (PYOCO_HTTP_MAX_BODY_BYTES on the gateway); send less data";
      return "the upload is larger than the gateway allows (PYOCO_WORKFLOW_YAML_MAX_BYTES on the gateway)";
    case 429: return "too many failed API-key checks from here or for this key id: wait for the Retry-After time, then use a valid --api-key";
    case 409: return detail === "schedule is completed" ? "a completed schedule cannot be paused or resumed; create a new one with `pyoco client schedule-yaml`" : "check the request flags against the reason above";
    case 422: return "fix the value the reason names and run the command again";
    case 503: return `the gateway at ${server} cannot reach NATS: check \`pyoco nats status\` on the gateway's host and its PYOCO_NATS_URL`;
    default:
      return err.status >= 500 ? `the gateway at ${server} failed; its log (stdout of \`pyoco up\`) has the details` : "check the request flags against the reason above";
  }
}

/** The client library's typed errors → the CLI blocks of http-contract.md §5.2 (English headlines, hints that say what to do). */
export function translateClientError(err: unknown, server = DEFAULT_SERVER): unknown {
  if (err instanceof HttpStatusError) {
    return new CliFailure("ERR-PYOCO-HTTP", "ERR-PYOCO-HTTP: request failed", err.message, httpHint(err, server));
  }
  if (err instanceof ConnectionError) {
    return new CliFailure("ERR-PYOCO-HTTP", "ERR-PYOCO-HTTP: connection error", err.message,
      `is the gateway running at ${server}? start it with \`pyoco up\`, or pass --server URL (or set PYOCO_SERVER_URL)`);
  }
  if (err instanceof WaitTimeoutError) {
    return new CliFailure("ERR-PYOCO-CANCEL", "ERR-PYOCO-CANCEL: wait timeout", err.message,
      `wait longer with --timeout-sec, or look at the run with \`pyoco client get ${err.runId}\` and its worker with \`pyoco client workers\``);
  }
  if (err instanceof InvalidResponseError) {
    return new CliFailure("ERR-PYOCO-HTTP", "ERR-PYOCO-HTTP: invalid response", err.message, `check that --server ${server} points at a pyoco gateway`);
  }
  if (err instanceof Error && "syscall" in err && "path" in err) {   // node:fs errors (ENOENT, EACCES, …)
    return new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: file I/O error", err.message, `check that ${String(err.path)} exists and is readable`);
  }
  return err;
}

const command: Command = {
  name: "client",
  summary: HELP.summary,
  style: "pyoco",
  async run(argv, io) {
    const { globals, name, rest } = splitGlobals(argv);
    if ((!name && globals.length === 0) || name === "-h" || name === "--help") { io.stdout(helpText()); return 0; }
    const parsed = parseFlags(globals, GLOBAL_FLAGS, HELP);
    if (parsed.help) { io.stdout(helpText()); return 0; }
    if (!name || !(name in SUBCOMMANDS)) {
      const choices = Object.keys(SUBCOMMANDS).map((n) => `'${n}'`).join(", ");
      const msg = name ? `argument command: invalid choice: '${name}' (choose from ${choices})` : "the following arguments are required: command";
      const near = name ? closestFlag(name, Object.keys(SUBCOMMANDS)) : undefined;
      throw new CliUsageError(msg, usageLine(HELP, GLOBAL_FLAGS), "pyoco client",
        near ? `did you mean \`pyoco client ${near}\`? (all subcommands: pyoco client --help)` : "pass a subcommand, e.g. `pyoco client list --output table` (all subcommands: pyoco client --help)");
    }
    const sub = await SUBCOMMANDS[name]!();
    const ctx: ClientContext = { io, globals: parsed.flags as GlobalFlags, program: `pyoco client ${name}` };
    try {
      return await sub.run(rest, ctx);
    } catch (err) {
      if (io.signal.aborted) throw err;   // Ctrl-C: the dispatcher answers 130
      throw translateClientError(err, ctx.server ?? makeClient(io, ctx.globals).server);
    }
  },
};
export default command;

/**
 * `pyoco worker`: parse flags → settings → Worker.start() → wait for a signal → Worker.close().
 * Usage errors and start-up failures use the ERR-PYOCO-0018 block style, exit 1
 * (http-contract.md §5.3, wire-contract.md §10.3).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { effectiveEnv, loadSettings, type SettingOverrides } from "../config/index.ts";
import { isValidKvKey, TAG_PATTERN } from "../domain/job.ts";
import { invalidModulePrefix, splitModulePrefixes } from "../domain/module-allow-list.ts";
import { NatsUnavailableError } from "../domain/errors.ts";
import { whenAborted } from "../lib/async.ts";
import { createLogger } from "../lib/log.ts";
import { Utf8Streams } from "../lib/utf8-streams.ts";
import { resolvePython, RunnerStartupError, PythonNotFoundError, stripLineMarks } from "../runner/index.ts";
import { Worker } from "../worker/index.ts";
import { redactNatsUrl } from "../jetstream/index.ts";
import { numberFlag, parseFlags, usageError as commandUsageError, type CommandHelp } from "./args.ts";
import type { Command } from "./command.ts";
import { CliFailure, CliUsageError, headline } from "./errors.ts";

const FLAGS = {
  "nats-url": { type: "string", value: "URL", description: "NATS server URL (overrides PYOCO_NATS_URL)" },
  tags: { type: "string", value: "a,b", default: "default", description: "comma-separated tags to pull (OR); each [A-Za-z0-9_-]+" },
  "worker-id": { type: "string", value: "ID", default: "worker", description: "registry key and DLQ worker_id (a valid NATS KV key)" },
  "flow-resolver": { type: "string", value: "SPEC", description: "module:attr or path/to/file.py:attr returning a Pyoco Flow for a name (KeyError = unknown); without it only YAML jobs run" },
  python: { type: "string", value: "PATH", description: "Python interpreter with Pyoco installed (default: PYOCO_PYTHON, else the real python3 on PATH)" },
  concurrency: { type: "string", value: "N", default: "1", description: "runs at once (one Python process each); ordering between runs is not promised. 4 drains tiny runs about 1.7x faster (docs/performance.md)" },
  "max-runs-per-process": { type: "string", value: "N", default: "1000", description: "runs per Python process before it is recycled; 1 = a fresh process per run" },
  "work-dir": { type: "string", value: "DIR", description: "scratch folder for runner processes (default: a new temp dir, removed on exit)" },
  "wheel-sync": { type: "boolean", description: "install registry wheels matching --tags (PYOCO_WHEEL_SYNC_ENABLED)" },
  "no-wheel-sync": { type: "boolean", description: "do not sync wheels, whatever PYOCO_WHEEL_SYNC_ENABLED says" },
  "wheel-sync-dir": { type: "string", value: "DIR", description: "local wheel files, manifest and install generations (PYOCO_WHEEL_SYNC_DIR, default .pyoco/wheels)" },
  "wheel-sync-interval-sec": { type: "string", value: "SEC", description: "how often the registry is checked (PYOCO_WHEEL_SYNC_INTERVAL_SEC, default 10, min 0.1)" },
  "wheel-install-timeout-sec": { type: "string", value: "SEC", description: "deadline of one pip call (PYOCO_WHEEL_INSTALL_TIMEOUT_SEC, default 180, min 1)" },
  "allow-module": { type: "string", multiple: true, value: "PREFIX", description: "only import YAML callables (and a module resolver) from this module or below it; repeatable (overrides PYOCO_WORKER_ALLOWED_MODULES). Without any, flow.yaml can run any code here" },
  "drain-timeout-sec": { type: "string", value: "SEC", default: "30", description: "on SIGTERM/SIGINT, how long running runs may finish before they are killed and requeued" },
  "poll-timeout": { type: "string", value: "SEC", default: "1.0", description: "how long one pull waits for a job (values below 1 s are raised to 1 s, the NATS client's minimum)" },
  "no-prefetch": { type: "boolean", description: "pull a job only when a run slot is free (default: while a run under 100 ms executes, the next job is pulled ahead to hide the round trip; docs/worker.md)" },
  "run-once": { type: "boolean", description: "process what is queued now for the tags, then exit 0 (a queue counts as empty after one poll with no job)" },
} as const;

const HELP: CommandHelp = {
  program: "pyoco worker",
  summary: "pull runs by tag and execute them in supervised Python Pyoco runners",
  examples: [
    "pyoco worker --tags cpu --flow-resolver my_flows.py:resolve_flow",
    "pyoco worker --tags gpu,cpu --worker-id gpu-1 --concurrency 2",
    "pyoco worker --max-runs-per-process 1   # strict: a fresh Python process per run",
    "pyoco worker --tags batch --run-once     # drain what is queued, then exit 0",
    "pyoco worker --allow-module my_tasks --allow-module company.flows   # flow.yaml may only use these modules",
  ],
  notes: [
    "Environment: PYOCO_NATS_URL, PYOCO_PYTHON, PYOCO_CONSUMER_ACK_WAIT_SEC, PYOCO_CONSUMER_MAX_DELIVER,",
    "PYOCO_RUN_HEARTBEAT_INTERVAL_SEC, PYOCO_WORKER_HEARTBEAT_INTERVAL_SEC, PYOCO_CANCEL_GRACE_PERIOD_SEC,",
    "PYOCO_WORKER_ALLOWED_MODULES, … (docs/worker.md).",
    "Trust: flow.yaml names Python callables, so a submitter can run code on this worker unless --allow-module limits them.",
    "Wheels: --wheel-sync installs the newest compatible registry wheel per package (docs/wheels.md).",
    "Signals: the first SIGTERM/SIGINT drains (see --drain-timeout-sec), a second one kills running runs at once.",
  ],
};

function usageError(message: string, hint?: string): CliUsageError {
  return commandUsageError(message, HELP, FLAGS, hint);
}

/** Tags as the original normalises them (strip, drop empties), but a bad tag is rejected, not ignored. */
export function parseTags(raw: string): string[] {
  const tags = [...new Set(raw.split(",").map((t) => t.trim()).filter(Boolean))];
  if (tags.length === 0) return ["default"];
  for (const t of tags) {
    if (!TAG_PATTERN.test(t)) throw usageError(`argument --tags: invalid tag '${t}' (allowed: letters, digits, '_' and '-'; no '.')`);
  }
  return tags;
}

const command: Command = {
  name: "worker",
  summary: HELP.summary,
  style: "pyoco",
  async run(argv, io) {
    const parsed = parseFlags(argv, FLAGS, HELP);
    if (parsed.help) { io.stdout(parsed.text); return 0; }
    const f = parsed.flags;
    const tags = parseTags(f.tags);
    const workerId = f["worker-id"].trim();
    if (!isValidKvKey(workerId)) throw usageError(`argument --worker-id: '${workerId}' is not a valid key (letters, digits, - / _ = .)`);
    const concurrency = numberFlag(f.concurrency, "concurrency", HELP, FLAGS, { integer: true, min: 1, max: 256 })!;
    const maxRuns = numberFlag(f["max-runs-per-process"], "max-runs-per-process", HELP, FLAGS, { integer: true, min: 1 })!;
    const drainSec = numberFlag(f["drain-timeout-sec"], "drain-timeout-sec", HELP, FLAGS, { min: 0 })!;
    const pollSec = numberFlag(f["poll-timeout"], "poll-timeout", HELP, FLAGS, { min: 0, max: 3600 })!;
    const resolver = f["flow-resolver"]?.trim() || undefined;
    if (resolver !== undefined && resolver.lastIndexOf(":") <= 0) {
      throw usageError(`argument --flow-resolver: '${resolver}' must be module:attr or path/to/file.py:attr`);
    }

    const allowFlags = splitModulePrefixes((f["allow-module"] ?? []).join(","));
    for (const prefix of allowFlags) {
      const why = invalidModulePrefix(prefix);
      if (why) throw usageError(`argument --allow-module: ${why}`, "pass a module prefix such as --allow-module my_tasks (repeat the flag for more)");
    }

    const env = effectiveEnv(io.env, io.cwd);
    const overrides: SettingOverrides = {};
    if (f["nats-url"]) overrides.natsUrl = f["nats-url"];
    if (f["wheel-sync"] && f["no-wheel-sync"]) throw usageError("argument --no-wheel-sync: not allowed with argument --wheel-sync");
    if (f["wheel-sync"]) overrides.wheelSyncEnabled = true;
    if (f["no-wheel-sync"]) overrides.wheelSyncEnabled = false;
    if (f["wheel-sync-dir"]) overrides.wheelSyncDir = f["wheel-sync-dir"];
    if (f["wheel-sync-interval-sec"] !== undefined) overrides.wheelSyncIntervalSec = numberFlag(f["wheel-sync-interval-sec"], "wheel-sync-interval-sec", HELP, FLAGS, { min: 0.1 })!;
    if (f["wheel-install-timeout-sec"] !== undefined) overrides.wheelInstallTimeoutSec = numberFlag(f["wheel-install-timeout-sec"], "wheel-install-timeout-sec", HELP, FLAGS, { min: 1 })!;
    if (allowFlags.length) overrides.workerAllowedModules = allowFlags;
    const loaded = loadSettings(env, overrides);
    // A relative wheel-sync dir is resolved against the cwd once, before runners change theirs.
    const settings = loadSettings(env, { ...overrides, wheelSyncDir: resolvePath(io.cwd, loaded.wheelSyncDir) });
    if (settings.wheelSyncEnabled) {
      try { mkdirSync(settings.wheelSyncDir, { recursive: true }); } catch (err) {
        throw new CliFailure("ERR-PYOCO-0018", "ERR-PYOCO-0018: file I/O error", `cannot create the wheel sync directory: ${(err as Error).message}`,
          "pass a writable --wheel-sync-dir (PYOCO_WHEEL_SYNC_DIR), or run without --wheel-sync");
      }
    }
    const log = createLogger({ service: "pyoco:worker", level: settings.logLevel, format: settings.logFormat, utc: settings.logUtc, includeTraceback: settings.logIncludeTraceback });

    let python: string;
    try {
      python = await resolvePython(f.python ?? settings.python ?? undefined);
    } catch (err) {
      if (!(err instanceof PythonNotFoundError)) throw err;
      throw new CliFailure("ERR-PYOCO-0030", "ERR-PYOCO-0030: Python not found", err.message, "install python3 or pass --python /path/to/python (PYOCO_PYTHON)");
    }

    const ownWorkDir = !f["work-dir"];
    const workDir = f["work-dir"] ?? mkdtempSync(join(tmpdir(), "pyoco-worker-"));
    mkdirSync(workDir, { recursive: true });
    // Runner output reaches us in chunks that may end inside a character (Japanese task output).
    const runnerText = new Utf8Streams<number>();
    const worker = new Worker({
      settings, workerId, tags, python, resolver, concurrency, maxRunsPerProcess: maxRuns, workDir, drainTimeoutSec: drainSec, log,
      pollTimeoutMs: pollSec * 1000, runOnce: f["run-once"], prefetch: !f["no-prefetch"],
      allowedModules: settings.workerAllowedModules,
      onRunnerStderr: (pid, chunk) => io.stderr(stripLineMarks(runnerText.decode(pid, chunk))),
      startSignal: io.signal,
    });
    try {
      try {
        await worker.start();
      } catch (err) {
        if (io.signal.aborted) { log.info("shutdown requested during start-up", { signal: io.signalName(), worker_id: workerId }); return 0; }
        throw startupFailure(err, { python, resolver, natsUrl: redactNatsUrl(settings.natsUrl) });
      }
      log.info("worker started", { worker_id: workerId, tags, instance_id: worker.instanceId, concurrency, max_runs_per_process: maxRuns, pyoco: worker.runnerInfo?.pyoco });
      const queueDone = worker.whenQueueDone().then(() => true);
      if (await Promise.race([whenAborted(io.signal).then(() => false), queueDone])) {
        log.info("queue empty; stopping (--run-once)", { worker_id: workerId });
      } else log.info("shutdown requested", { signal: io.signalName(), worker_id: workerId });
      const reason = await worker.close({ force: io.force });
      log.info("worker stopped", { worker_id: workerId, stop_reason: reason });
      return 0;
    } finally {
      if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
    }
  },
};

function startupFailure(err: unknown, ctx: { python: string; resolver?: string; natsUrl: string }): Error {
  if (err instanceof RunnerStartupError) {
    const hint = err.code === "pyoco_import_error"
      ? `pip install pyoco (into ${ctx.python}), or pass --python with an interpreter that has it`
      : err.code === "resolver_not_allowed"
        ? `add the resolver's module to the allow-list (--allow-module), or use the file form path/to/file.py:attr`
      : err.code === "resolver_import_error"
        ? `check --flow-resolver '${ctx.resolver ?? ""}' (module on PYTHONPATH or file path, attribute name) and that its imports work`
        : "check the Python interpreter and its environment (see the detail)";
    const tail = err.stderrTail.trim().split("\n").slice(-8).join("\n");
    return new CliFailure("ERR-PYOCO-0030", "ERR-PYOCO-0030: cannot start the Python runner", err.message, hint, tail || undefined);
  }
  if (err instanceof NatsUnavailableError) {
    return new CliFailure("ERR-PYOCO-0003", headline("ERR-PYOCO-0003"), `${err.message} (${ctx.natsUrl})`, err.hint ??
      "start NATS (pyoco nats up, or pyoco up --with-nats-bootstrap) or pass --nats-url / PYOCO_NATS_URL");
  }
  return err instanceof Error ? err : new Error(String(err));
}

export default command;

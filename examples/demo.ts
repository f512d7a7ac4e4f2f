/**
 * `bun run demo`: the whole system on this machine, from the compiled binary.
 * Starts `dist/pyoco up --with-nats-bootstrap --with-worker` on free ports in a temp data dir,
 * submits a resolver flow and a YAML flow from examples/, schedules the YAML flow every 30 s,
 * follows the runs to the end, prints their outputs and the dashboard URL, and keeps running until Ctrl-C (or exits at once with --exit).
 * Without Pyoco in the chosen Python it says so and runs on the project's Pyoco test double.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const EXAMPLES = join(ROOT, "examples");
const DOUBLE = join(ROOT, "tests/fixtures/python/pyoco_double");
const BINARY = join(ROOT, "dist/pyoco");
const exitAtOnce = process.argv.includes("--exit");

function say(text: string) { console.log(text); }

function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

function pythonHasPyoco(python: string): boolean {
  const r = Bun.spawnSync([python, "-c", "import pyoco"], { stdout: "ignore", stderr: "ignore", env: { ...process.env, PYTHONPATH: "" } });
  return r.exitCode === 0;
}

async function poll<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch { /* not up yet */ }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

if (!existsSync(BINARY)) { say(`dist/pyoco is missing: run \`bun run build\` first (bun run demo does).`); process.exit(1); }
/** The real interpreter behind `python3` (a pyenv shim costs ~100 ms per runner start). */
function realPython(): string {
  const r = Bun.spawnSync(["python3", "-c", "import sys;print(sys.executable)"], { stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "python3";
}
const python = process.env.PYOCO_PYTHON || realPython();
const realPyoco = pythonHasPyoco(python);
const pythonPath = realPyoco ? EXAMPLES : `${DOUBLE}:${EXAMPLES}`;
if (!realPyoco) {
  say(`! ${python} cannot \`import pyoco\`. Install it with:  pip install pyoco`);
  say(`! This demo now runs on the Pyoco TEST DOUBLE (tests/fixtures/python/pyoco_double), not real Pyoco.`);
  say(`! The worker registry shows pyoco.impl = "double".\n`);
}

const dataDir = mkdtempSync(join(tmpdir(), "pyoco-demo-"));
const port = freePort();
const baseUrl = `http://127.0.0.1:${port}`;
const upLog = join(dataDir, "up.log");
const up = Bun.spawn([
  BINARY, "up", "--with-nats-bootstrap", "--with-worker",
  "--worker-flow-resolver", join(EXAMPLES, "flows.py") + ":resolve_flow", "--worker-id", "demo-worker",
  "--port", String(port), "--nats-client-port", String(freePort()), "--nats-http-port", "0",
  "--data-dir", join(dataDir, "nats"),
], {
  cwd: dataDir,
  env: { ...process.env, PYTHONPATH: pythonPath, PYOCO_PYTHON: python, PYOCO_LOAD_DOTENV: "0" },
  stdout: Bun.file(upLog), stderr: Bun.file(join(dataDir, "up.err")),
});

let stopping: Promise<void> | null = null;
function stopAll(): Promise<void> {
  return (stopping ??= (async () => {
    up.kill("SIGINT");
    const timer = setTimeout(() => up.kill("SIGKILL"), 45_000);
    await up.exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  })());
}
process.on("SIGINT", () => { say("\nstopping…"); void stopAll().then(() => process.exit(0)); });
process.on("SIGTERM", () => { void stopAll().then(() => process.exit(0)); });

async function follow(runId: string): Promise<any> {
  return poll(`run ${runId}`, async () => {
    const r = await (await fetch(`${baseUrl}/runs/${runId}?include=records`)).json() as any;
    return ["COMPLETED", "FAILED", "CANCELLED"].includes(r.status) ? r : null;
  });
}

function printRun(title: string, run: any) {
  say(`${title}: ${run.status}${run.error ? ` (${run.error})` : ""}`);
  for (const [task, rec] of Object.entries(run.task_records ?? {}) as [string, any][]) {
    say(`  ${task.padEnd(14)} ${String(rec.state).padEnd(10)} output = ${JSON.stringify(rec.output)}`);
  }
}

try {
  say(`starting pyoco (gateway, nats-server, worker) in ${dataDir} …`);
  await poll("the gateway", async () => (await fetch(`${baseUrl}/health`)).ok || null, 30_000);
  const worker = await poll("the worker", async () => {
    const body = await (await fetch(`${baseUrl}/workers`)).json() as any;
    const list: any[] = Array.isArray(body) ? body : body.items ?? body.workers ?? [];
    return list.find((w) => w.worker_id === "demo-worker" && (w.state === "IDLE" || w.state === "RUNNING")) ?? null;
  }, 40_000);
  say(`worker ${worker.worker_id} is ${worker.state}; Pyoco ${worker.pyoco?.impl} ${worker.pyoco?.version ?? ""} on ${worker.python}\n`);

  const submitted = await (await fetch(`${baseUrl}/runs`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ flow_name: "numbers", params: { count: 5 } }),
  })).json() as any;
  printRun(`resolver flow "numbers" (count=5), run ${submitted.run_id}`, await follow(submitted.run_id));

  const form = new FormData();
  form.set("workflow", new Blob([readFileSync(join(EXAMPLES, "flow.yaml"))]), "flow.yaml");
  form.set("flow_name", "numbers_yaml");
  const yamlRun = await (await fetch(`${baseUrl}/runs/yaml`, { method: "POST", body: form })).json() as any;
  if (!yamlRun.run_id) throw new Error(`POST /runs/yaml failed: ${JSON.stringify(yamlRun)}`);
  printRun(`\nYAML flow examples/flow.yaml (defaults count=10), run ${yamlRun.run_id}`, await follow(yamlRun.run_id));

  // A schedule: the same flow.yaml every 30 s, first fire in 2 s (left running for the dashboard).
  const schedForm = new FormData();
  schedForm.set("workflow", new Blob([readFileSync(join(EXAMPLES, "flow.yaml"))]), "flow.yaml");
  schedForm.set("flow_name", "numbers_yaml");
  schedForm.set("interval_seconds", "30");
  schedForm.set("start_at", new Date(Date.now() + 2000).toISOString());
  const schedule = await (await fetch(`${baseUrl}/schedules/yaml`, { method: "POST", body: schedForm })).json() as any;
  if (!schedule.schedule_id) throw new Error(`POST /schedules/yaml failed: ${JSON.stringify(schedule)}`);
  const fired = await poll("the schedule's first fire", async () => {
    const s = await (await fetch(`${baseUrl}/schedules/${schedule.schedule_id}`)).json() as any;
    return s.last_run_id ? s : null;
  });
  printRun(`\nschedule ${schedule.schedule_id} (every 30 s), first run ${fired.last_run_id}`, await follow(fired.last_run_id));

  say(`\ndashboard: ${baseUrl}/   (runs, workers, queues)`);
  say(`try:       dist/pyoco client --server ${baseUrl} list --output table`);
  say(`           dist/pyoco client --server ${baseUrl} schedules --output table`);
  if (!realPyoco) say(`(running on the Pyoco test double — pip install pyoco for the real engine)`);
  if (exitAtOnce) await stopAll();
  else say("press Ctrl-C to stop everything");
} catch (err) {
  say(`demo failed: ${(err as Error).message}`);
  say(`gateway/worker logs: ${upLog}`);
  try { say(readFileSync(join(dataDir, "up.err"), "utf8").split("\n").slice(-30).join("\n")); } catch { /* none */ }
  await stopAll();
  process.exit(1);
}

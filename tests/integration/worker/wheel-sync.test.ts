/**
 * Wheel sync end to end (issue 9): real nats-server, gateway, two `pyoco worker` processes with
 * --wheel-sync, wheels built by the test and installed by real pip, flow.yaml runs whose
 * callables live in those wheels.
 *
 * One story, step by step: upload → only the worker with the matching tag installs → the run
 * completes; v2 → the next run uses v2 without a restart; re-uploading v2 or v1 → 409; delete v2
 * → back to v1; delete v1 → gone and a run needing it fails clearly; a win_amd64 wheel is
 * skipped and listed; a wheel with an unmet requirement and a corrupt wheel are reported while
 * the worker keeps serving; history has every upload and delete.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../../src/lib/async.ts";
import { run } from "../../../src/cli/index.ts";
import { captureIo } from "../../helpers/cli.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";
import { buildWheel, wheelForm, type WheelSpec } from "../../helpers/wheels.ts";
import { startWorker, type StartedWorker } from "../../helpers/worker.ts";
import { waitForRun } from "./support.ts";

let nats: NatsServer;
let gw: TestGateway;
let dir: string;
let cpu: StartedWorker;
let other: StartedWorker;

const syncArgs = (name: string) => ["--wheel-sync", "--wheel-sync-dir", join(dir, name), "--wheel-sync-interval-sec", "0.3"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pyoco-wheel-sync-"));
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url);
  [cpu, other] = await Promise.all([
    startWorker({ natsUrl: nats.url, tags: ["wcpu"], workerId: "wheel-cpu", args: syncArgs("cpu") }),
    startWorker({ natsUrl: nats.url, tags: ["wother"], workerId: "wheel-other", args: syncArgs("other") }),
  ]);
});
afterAll(async () => {
  await Promise.all([cpu?.stop(), other?.stop()]);
  await gw?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const demo = (version: string, tag?: string): WheelSpec => ({
  name: "wheel_demo", version, tag,
  modules: { "wheel_demo/__init__.py": "", "wheel_demo/tasks.py": `def version():\n    return "${version}"\n` },
});

async function upload(spec: WheelSpec, tags?: string, bytes?: Uint8Array): Promise<{ status: number; json: any }> {
  const path = await buildWheel(dir, spec);
  const res = await fetch(`${gw.baseUrl}/wheels`, { method: "POST", body: wheelForm(path.split("/").pop()!, bytes ?? readFileSync(path), { tags }), headers: { "user-agent": "wheel-sync-test" } });
  return { status: res.status, json: await res.json() };
}

/** The worker's wheel_sync as GET /workers shows it, once `pred` holds. */
async function wheelSyncOf(workerId: string, pred: (ws: any) => boolean, what: string): Promise<any> {
  return waitFor(async () => {
    const workers = (await gw.call("GET", "/workers?scope=all")).json as any[];
    const ws = workers.find((w) => w.worker_id === workerId)?.wheel_sync;
    return ws && pred(ws) ? ws : null;
  }, { timeoutMs: 90_000, intervalMs: 100, what: `${workerId} wheel_sync: ${what}` });
}

const installed = (ws: any) => (ws.installed_wheels as any[]).map((w) => w.wheel_name);

const FLOW = (callable: string) => `version: 1\nflow:\n  graph: |\n    version\ntasks:\n  version:\n    callable: ${callable}\n`;

async function runYaml(callable = "wheel_demo.tasks:version", tag = "wcpu") {
  const form = new FormData();
  form.append("workflow", new File([FLOW(callable)], "flow.yaml", { type: "application/x-yaml" }));
  form.append("flow_name", "wheel_flow");
  form.append("tag", tag);
  const res = await fetch(`${gw.baseUrl}/runs/yaml`, { method: "POST", body: form });
  const { run_id } = await res.json() as { run_id: string };
  return waitForRun(gw.js, run_id, undefined, 60_000);
}

// pip under load takes seconds per call; every step waits for its condition with a generous deadline.
setDefaultTimeout(240_000);

describe("wheel sync", () => {
  test("an empty registry is nothing to install, not an error", async () => {
    const ws = await wheelSyncOf("wheel-cpu", (w) => w.last_result === "ok", "ok");
    expect(ws).toMatchObject({ enabled: true, selected_count: 0, installed_wheels: [], last_error: null });
  });

  test("upload → the matching worker installs it and a flow.yaml run completes; the other worker does not install it", async () => {
    const up = await upload(demo("1.0.0"), "wcpu");
    expect(up.status).toBe(200);
    const ws = await wheelSyncOf("wheel-cpu", (w) => installed(w).includes("wheel_demo-1.0.0-py3-none-any.whl"), "v1 installed");
    expect(ws).toMatchObject({ last_result: "ok", selected_wheels: ["wheel_demo-1.0.0-py3-none-any.whl"] });
    expect(ws.installed_wheels[0]).toMatchObject({ package_name: "wheel-demo", package_version: "1.0.0", nuid: up.json.nuid });
    const done = await runYaml();
    expect([done.status, (done.task_records as any).version.output]).toEqual(["COMPLETED", "1.0.0"]);

    const uploadedAt = Date.now() / 1000;
    const otherWs = await wheelSyncOf("wheel-other", (w) => w.last_attempt_at > uploadedAt, "an attempt after the upload");
    expect(otherWs).toMatchObject({ last_result: "ok", selected_count: 0, installed_wheels: [] });
  });

  test("v2 is used by the next run without restarting the worker; v2 again or v1 again is 409", async () => {
    const pid = cpu.pid;
    expect((await upload(demo("1.0.1"), "wcpu")).status).toBe(200);
    await wheelSyncOf("wheel-cpu", (w) => installed(w).join() === "wheel_demo-1.0.1-py3-none-any.whl", "v2 installed");
    const done = await runYaml();
    expect([done.status, (done.task_records as any).version.output]).toEqual(["COMPLETED", "1.0.1"]);
    expect(cpu.pid).toBe(pid);
    expect((await upload(demo("1.0.1"), "wcpu")).json).toEqual({ detail: "wheel version already exists; bump version" });
    expect((await upload(demo("1.0.0"), "wcpu")).json).toEqual({ detail: "wheel version already exists; bump version" });
    expect((await upload(demo("0.9.0"), "wcpu")).json).toEqual({ detail: "wheel version must be greater than existing latest version" });
  });

  test("delete v2 → back to v1; delete v1 → uninstalled and a run that needs it fails with a clear reason", async () => {
    expect((await gw.call("DELETE", "/wheels/wheel_demo-1.0.1-py3-none-any.whl")).status).toBe(200);
    await wheelSyncOf("wheel-cpu", (w) => installed(w).join() === "wheel_demo-1.0.0-py3-none-any.whl", "back to v1");
    expect((await runYaml()).task_records).toMatchObject({ version: { output: "1.0.0" } });

    expect((await gw.call("DELETE", "/wheels/wheel_demo-1.0.0-py3-none-any.whl")).status).toBe(200);
    const gone = await wheelSyncOf("wheel-cpu", (w) => w.installed_wheels.length === 0 && w.selected_count === 0, "uninstalled");
    expect(gone).toMatchObject({ last_result: "ok", installed_wheels: [] });
    // removed_wheels is per attempt (an unchanged attempt reports none); the log says what the change removed.
    await cpu.waitForLog((l) => l.message === "wheel generation built" && (l.removed as string[]).includes("wheel_demo-1.0.0-py3-none-any.whl"));
    const failed = await runYaml();
    expect(failed.status).toBe("FAILED");
    expect(String(failed.error)).toContain("wheel_demo");
    // Old generations are cleaned up; the local wheel files of deleted wheels are gone.
    expect(readdirSync(join(dir, "cpu")).filter((f) => f.endsWith(".whl"))).toEqual([]);
    expect(readdirSync(join(dir, "cpu", "envs")).length).toBe(1);
  });

  test("a win_amd64 wheel is skipped and listed; unmet requirements and a corrupt wheel are reported while the rest is served", async () => {
    expect((await upload({ name: "win_only", version: "1.0.0", tag: "py3-none-win_amd64", modules: { "win_only/__init__.py": "" } }, "wcpu")).status).toBe(200);
    expect((await upload({ name: "needs_dep", version: "1.0.0", requires: ["not_in_registry>=1"], modules: { "needs_dep/__init__.py": "" } })).status).toBe(200);
    expect((await upload({ name: "corrupt_pkg", version: "1.0.0", modules: {} }, "wcpu", new TextEncoder().encode("this is not a zip file"))).status).toBe(200);
    expect((await upload({ name: "good_pkg", version: "1.0.0", modules: { "good_pkg/__init__.py": "", "good_pkg/tasks.py": "def version():\n    return 'good'\n" } })).status).toBe(200);

    const ws = await wheelSyncOf("wheel-cpu", (w) => installed(w).includes("good_pkg-1.0.0-py3-none-any.whl") && (w.failed_wheels ?? []).length === 2, "partial install");
    expect(ws.skipped_incompatible).toEqual([{ wheel_name: "win_only-1.0.0-py3-none-win_amd64.whl", package_name: "win-only", package_version: "1.0.0", reason: "unsupported_wheel_tags" }]);
    expect(ws.skipped_incompatible_count).toBe(1);
    expect(installed(ws)).toEqual(["good_pkg-1.0.0-py3-none-any.whl"]);
    const failures = Object.fromEntries((ws.failed_wheels as any[]).map((f) => [f.wheel_name, f.reason]));
    expect(failures["needs_dep-1.0.0-py3-none-any.whl"]).toContain("requires not-in-registry, which is not installed");
    expect(failures["corrupt_pkg-1.0.0-py3-none-any.whl"]).toContain("wheel install failed");
    expect(ws.last_result).toBe("error");
    expect(ws.last_error).toContain("needs_dep");
    expect((await runYaml("good_pkg.tasks:version")).task_records).toMatchObject({ version: { output: "good" } });

    // The untagged wheels reach the other worker too (its own sync); the win/corrupt ones are tagged wcpu only.
    const otherWs = await wheelSyncOf("wheel-other", (w) => installed(w).includes("good_pkg-1.0.0-py3-none-any.whl"), "untagged wheel");
    expect(otherWs.skipped_incompatible).toEqual([]);

    // The workers table shows what each worker has installed.
    const io = captureIo();
    expect(await run(["client", "--server", gw.baseUrl, "workers", "--scope", "all", "--output", "table"], io)).toBe(0);
    const row = io.out.split("\n").find((l) => l.startsWith("wheel-cpu"))!;
    expect(row).toContain("error (1 installed, 2 failed, 1 skipped)");
    const plugins = captureIo();
    expect(await run(["client", "--server", gw.baseUrl, "workers", "--scope", "all", "--output", "plugins"], plugins)).toBe(0);
    expect(plugins.out.split("\n").find((l) => l.startsWith("wheel-cpu"))).toMatch(/good-pkg\s+1\.0\.0\s+good_pkg-1\.0\.0-py3-none-any\.whl/);
  });

  test("history lists every upload and delete with its source, newest first", async () => {
    const events = (await gw.call("GET", "/wheels/history?wheel_name=wheel_demo-1.0.0-py3-none-any.whl")).json as any[];
    expect(events.map((e) => e.action)).toEqual(["delete", "upload"]);
    expect(events[1]).toMatchObject({ actor: { tenant_id: null, api_key_id: null }, source: { remote_addr: "127.0.0.1", user_agent: "wheel-sync-test" } });
    const all = (await gw.call("GET", "/wheels/history?action=upload")).json as any[];
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < all.length; i++) expect(all[i - 1].occurred_at).toBeGreaterThanOrEqual(all[i].occurred_at);
  });
});

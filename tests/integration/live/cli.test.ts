/**
 * `pyoco client watch|workers|worker-hide|worker-unhide` in-process (`run(argv, io)`) against a
 * real gateway and nats-server; run progress is simulated with compare-and-set KV writes.
 */
import { describe, expect, test } from "bun:test";
import { run } from "../../../src/cli/index.ts";
import { waitFor } from "../../../src/lib/async.ts";
import { captureIo } from "../../helpers/cli.ts";
import { gatewayForFile } from "../../helpers/gateway.ts";

const file = gatewayForFile();

async function move(runId: string, status: string): Promise<void> {
  const cur = (await file.gw.js.runs.get(runId))!;
  await file.gw.js.runs.update(runId, { ...cur.value, status, updated_at: Date.now() / 1000 }, cur.revision);
}

describe("pyoco client watch", () => {
  test("--until-terminal prints one status line per state change and exits 0 on COMPLETED", async () => {
    const runId = crypto.randomUUID();
    await file.gw.js.runs.create(runId, { run_id: runId, flow_name: "main", status: "PENDING", updated_at: Date.now() / 1000 });
    const io = captureIo();
    const exit = run(["client", "--server", file.gw.baseUrl, "watch", runId, "--until-terminal", "--output", "status"], io);
    await waitFor(() => io.out.includes("\tPENDING\t"), { timeoutMs: 5000, what: "first event" });
    await move(runId, "RUNNING");
    await waitFor(() => io.out.includes("\tRUNNING\t"), { timeoutMs: 5000, what: "RUNNING event" });
    await move(runId, "COMPLETED");
    expect(await exit).toBe(0);
    const lines = io.out.trimEnd().split("\n");
    expect(lines.map((l) => l.split("\t").slice(1))).toEqual([
      ["snapshot", "PENDING", runId], ["snapshot", "RUNNING", runId], ["snapshot", "COMPLETED", runId],
    ]);
    // Local time to the millisecond, not epoch seconds (the JSON output keeps those).
    for (const l of lines) {
      const shown = l.split("\t")[0]!;
      expect(shown).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      expect(Math.abs(new Date(shown.replace(" ", "T")).getTime() - Date.now())).toBeLessThan(60_000);   // read back as local time: now
    }
    expect(io.err).toBe("");
  });

  test("a plain watch prints Python-style JSON lines and exits 0 when the server ends the stream at the terminal snapshot", async () => {
    const runId = crypto.randomUUID();
    await file.gw.js.runs.create(runId, { run_id: runId, flow_name: "main", status: "RUNNING", updated_at: Date.now() / 1000 });
    const io = captureIo();
    const exit = run(["client", "--server", file.gw.baseUrl, "watch", runId, "--output", "json"], io);
    await waitFor(() => io.out.includes('"RUNNING"'), { timeoutMs: 5000 });
    await move(runId, "FAILED");
    expect(await exit).toBe(0);
    const events = io.out.trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(events.map((e) => e.data.snapshot.status)).toEqual(["RUNNING", "FAILED"]);
    expect(io.out).toContain('{"event": "snapshot", "data": {"run_id": ');   // Python json.dumps separators
  });

  test("an unknown run is an ERR-PYOCO-HTTP failure with exit 1", async () => {
    const io = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "watch", crypto.randomUUID()], io)).toBe(1);
    expect(io.err).toContain("ERR-PYOCO-HTTP: request failed");
    expect(io.err).toContain('HTTP 404 GET');
  });
});

describe("pyoco client workers", () => {
  test("lists, hides and unhides workers", async () => {
    const now = Date.now() / 1000;
    await file.gw.js.workers.put("cli-w1", { worker_id: "cli-w1", state: "RUNNING", tags: ["cpu", "gpu"], last_seen_at: now - 3,
      concurrency: 2, current_run_ids: ["6772f700-084c-4b6f-a565-8d321e826207"], pyoco: { impl: "real", version: "0.6.2" },
      wheel_sync: { enabled: true, last_result: "ok", installed_wheels: [{ package_name: "demo_ext", package_version: "0.1.0", wheel_name: "demo_ext-0.1.0-py3-none-any.whl" }] } } as any);

    const table = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "workers", "--output", "table"], table)).toBe(0);
    const [header, row] = table.out.split("\n");
    expect(header!.trimEnd().split(/\s{2,}/)).toEqual(["worker_id", "state", "tags", "concurrency", "current_runs", "last_seen", "pyoco", "wheel_sync"]);
    const cells = row!.trimEnd().split(/\s{2,}/);
    expect(cells.slice(0, 5)).toEqual(["cli-w1", "RUNNING", "cpu,gpu", "2", "1: 6772f700"]);
    expect(cells[5]).toMatch(/^\d+s ago$/);
    expect(cells.slice(6)).toEqual(["real 0.6.2", "ok (1 installed)"]);
    const plugins = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "workers", "--output", "plugins"], plugins)).toBe(0);
    expect(plugins.out.split("\n")[1]!.trimEnd().split(/\s{2,}/)).toEqual(["cli-w1", "RUNNING", "cpu,gpu", "demo_ext", "0.1.0", "demo_ext-0.1.0-py3-none-any.whl"]);

    const hide = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "worker-hide", "cli-w1"], hide)).toBe(0);
    expect(JSON.parse(hide.out)).toMatchObject({ worker_id: "cli-w1", hidden: true });
    const json = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "workers"], json)).toBe(0);
    expect(JSON.parse(json.out)).toEqual([]);
    const hidden = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "workers", "--include-hidden"], hidden)).toBe(0);
    expect(JSON.parse(hidden.out).map((w: any) => w.worker_id)).toEqual(["cli-w1"]);
    expect(await run(["client", "--server", file.gw.baseUrl, "worker-unhide", "cli-w1"], captureIo())).toBe(0);

    const missing = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "worker-hide", "nobody"], missing)).toBe(1);
    expect(missing.err).toContain("HTTP 404 PATCH /workers/nobody");
  });
});

describe("pyoco client metrics", () => {
  test("prints GET /metrics as received (Prometheus text)", async () => {
    const io = captureIo();
    expect(await run(["client", "--server", file.gw.baseUrl, "metrics"], io)).toBe(0);
    const direct = await (await fetch(`${file.gw.baseUrl}/metrics`)).text();
    expect(io.out).toContain("# TYPE pyoco_runs_total gauge");
    expect(io.out.split("\n").filter((l) => l.startsWith("# HELP"))).toEqual(direct.split("\n").filter((l) => l.startsWith("# HELP")));
  });
});

/**
 * `pyoco client schedule-yaml | schedules | schedule-runs | schedule-delete | schedule-pause |
 * schedule-resume` in-process against a real gateway: JSON (the original's format) and table
 * output, the original's request form (interval as str(float)), and errors: exit 1 with a hint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pythonFloatText } from "../../../src/client/index.ts";
import { clientRunner } from "../../helpers/cli.ts";
import { startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { startNatsServer, type NatsServer } from "../../helpers/nats-server.ts";

let nats: NatsServer;
let gw: TestGateway;
let dir: string;
beforeAll(async () => {
  nats = await startNatsServer();
  gw = await startTestGateway(nats.url, { schedulePollIntervalSec: 3600 });   // nothing fires during these tests
  dir = mkdtempSync(join(tmpdir(), "pyoco-cli-sched-"));
  copyFileSync(new URL("../../fixtures/flows/add-one-to-text.yaml", import.meta.url), join(dir, "flow.yaml"));
});
afterAll(async () => { await gw.stop(); await nats.stop(); rmSync(dir, { recursive: true, force: true }); });

const client = clientRunner(() => gw.baseUrl, () => dir);

const BASE = ["--workflow-file", "flow.yaml", "--flow-name", "main", "--tag", "cli"];

describe("pyoco client schedule-*", () => {
  test("schedule-yaml: interval, once and cron; JSON in the original's format", async () => {
    const i = await client("schedule-yaml", ...BASE, "--interval-seconds", "3600");
    expect(i.code).toBe(0);
    expect(i.out).toMatch(/^\{"schedule_id": "[0-9a-f-]{36}", "flow_name": "main", "tag": "cli", "status": "ACTIVE", "schedule_type": "interval"/);
    expect(i.json.interval_seconds).toBe(3600);

    const once = await client("schedule-yaml", ...BASE, "--run-at", new Date(Date.now() + 3_600_000).toISOString());
    expect(once.json).toMatchObject({ schedule_type: "once", dispatch_count: 0 });

    const c = await client("schedule-yaml", ...BASE, "--cron", "0 3 * * 1-5", "--timezone", "Asia/Tokyo", "--misfire-policy", "skip");
    expect(c.json).toMatchObject({ schedule_type: "cron", cron: "0 3 * * 1-5", timezone: "Asia/Tokyo", misfire_policy: "skip" });
    expect(c.json.next_fire_times).toHaveLength(5);
  });

  test("the interval is sent as Python's str(float)", () => {
    expect([3600, 1.5, 0.25, 1e20, 1.5e-5, 1e-5].map(pythonFloatText)).toEqual(["3600.0", "1.5", "0.25", "1e+20", "1.5e-05", "1e-05"]);
  });

  test("schedules: JSON array and a table with cadence and next fire", async () => {
    const j = await client("schedules");
    expect(j.code).toBe(0);
    expect(Array.isArray(j.json)).toBe(true);
    const t = await client("schedules", "--output", "table");
    const lines = t.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^schedule_id\s+status\s+cadence\s+next_run_at\s+dispatch_count\s+last_run_status\s+flow_name\s+tag\s+last_error/);
    expect(t.out).toContain("every 3600s");
    expect(t.out).toContain("cron 0 3 * * 1-5 (Asia/Tokyo)");
    expect(t.out).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  });

  test("pause, resume, runs, delete", async () => {
    const id = (await client("schedule-yaml", ...BASE, "--interval-seconds", "600")).json.schedule_id;
    expect((await client("schedule-pause", "--schedule-id", id)).json).toMatchObject({ schedule_id: id, status: "PAUSED" });
    const resumed = await client("schedule-resume", "--schedule-id", id, "--output", "table");
    expect(resumed.out).toContain("ACTIVE");
    expect(resumed.out).toMatch(/next fires: \d{4}-/);
    const runs = await client("schedule-runs", "--schedule-id", id, "--limit", "5", "--records");
    expect(runs).toMatchObject({ code: 0, json: [] });
    expect((await client("schedule-runs", "--schedule-id", id, "--output", "table")).out).toBe("(no items)\n");
    expect((await client("schedule-delete", "--schedule-id", id)).json).toEqual({ schedule_id: id, deleted: true });
  });

  test("errors: a 422 reason, a missing schedule, a missing flag, an unreadable file → exit 1 with a hint", async () => {
    const bad = await client("schedule-yaml", ...BASE, "--cron", "61 * * * *");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("ERR-PYOCO-HTTP: request failed");
    expect(bad.err).toContain("invalid cron expression: minute: 61 is outside 0-59");
    expect(bad.err).toContain("hint");

    const missing = await client("schedule-delete", "--schedule-id", "no-such-id");
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("schedule not found");
    expect(missing.err).toContain("pyoco client schedules --output table");

    const noFlag = await client("schedule-pause");
    expect(noFlag.code).not.toBe(0);
    expect(noFlag.err).toContain("--schedule-id");

    const noFile = await client("schedule-yaml", "--workflow-file", "nope.yaml", "--flow-name", "main", "--tag", "cli", "--interval-seconds", "5");
    expect(noFile.code).toBe(1);
    expect(noFile.err).toContain("file I/O error");

    const badNumber = await client("schedule-yaml", ...BASE, "--interval-seconds", "often");
    expect(badNumber.code).not.toBe(0);
    expect(badNumber.err).toContain("--interval-seconds");
  });

  test("--help lists the flags of each subcommand", async () => {
    for (const name of ["schedule-yaml", "schedules", "schedule-runs", "schedule-delete", "schedule-pause", "schedule-resume"]) {
      const h = await client(name, "--help");
      expect(h.code).toBe(0);
      expect(h.out).toContain(`pyoco client ${name}`);
    }
    expect((await client("schedule-yaml", "--help")).out).toContain("--timezone TZ");
    expect((await client("--help")).out).toContain("schedule-resume");
  });
});

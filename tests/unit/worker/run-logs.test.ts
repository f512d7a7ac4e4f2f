/**
 * The per-run log limiter without NATS: the publish function is where lines go (an array here,
 * the stream in the worker). Lines split, clipped, limited by count, bytes, rate and backlog;
 * drops announced once and summed at the end; a failing or hanging store never blocks finish().
 */
import { describe, expect, test } from "bun:test";
import type { LogRecord } from "../../../src/jetstream/index.ts";
import { silentLogger } from "../../../src/lib/log.ts";
import type { LogMessage } from "../../../src/runner/index.ts";
import { clipUtf8, RunLogPublisher, type RunLogLimits } from "../../../src/worker/run-logs.ts";

const LIMITS: RunLogLimits = { maxLines: 100, maxBytes: 1 << 20, ratePerSec: 1000, lineMaxBytes: 1024 };
const base = { runId: "r1", workerId: "w1", attempt: 2 };

function publisher(limits: Partial<RunLogLimits> = {}, store: (l: LogRecord) => Promise<void> = async () => {}) {
  const stored: LogRecord[] = [];
  const pub = new RunLogPublisher(async (l) => { await store(l); stored.push(l); }, base, { ...LIMITS, ...limits }, silentLogger);
  return { pub, stored };
}

const out = (text: string, stream: LogMessage["stream"] = "stdout", extra: Partial<LogMessage> = {}): LogMessage =>
  ({ v: 1, type: "log", ts: 100, run_id: "r1", task: "t", stream, text, ...extra });

describe("RunLogPublisher", () => {
  test("splits task output into lines and keeps logging records whole", async () => {
    const { pub, stored } = publisher();
    pub.accept(out("a\nb\r\nc\n"));
    pub.accept(out("multi\nline record", "log", { level: "ERROR", logger: "app" }));
    await pub.finish(1000);
    expect(stored.map((l) => [l.stream, l.message])).toEqual([["stdout", "a"], ["stdout", "b"], ["stdout", "c"], ["log", "multi\nline record"]]);
    expect(stored[3]).toMatchObject({ run_id: "r1", worker_id: "w1", attempt: 2, task: "t", level: "ERROR", logger: "app", ts: 100 });
    expect(pub.dropped).toBe(0);
  });

  test("past the line limit: one notice, then a summary with the number dropped", async () => {
    const { pub, stored } = publisher({ maxLines: 3 });
    pub.accept(out(Array.from({ length: 10 }, (_, i) => `l${i}`).join("\n")));
    await pub.finish(1000);
    expect(stored.filter((l) => l.stream === "stdout").map((l) => l.message)).toEqual(["l0", "l1", "l2"]);
    const system = stored.filter((l) => l.stream === "system");
    expect(system).toHaveLength(2);
    expect(system[0]!.message).toContain("lines per run");
    expect(system[1]).toMatchObject({ dropped: 7, task: null });
  });

  test("byte and rate limits; the runner's own drop count is added", async () => {
    const bytes = publisher({ maxBytes: 10 });
    bytes.pub.accept(out("12345\n67890\nabc"));
    await bytes.pub.finish(1000);
    expect(bytes.pub.dropped).toBe(1);
    expect(bytes.stored.at(-1)!.message).toContain("bytes per run");

    const rate = publisher({ ratePerSec: 5 });   // burst of 10
    rate.pub.accept(out(Array.from({ length: 30 }, () => "x").join("\n")));
    rate.pub.accept(out("", "system", { dropped: 4 }));
    await rate.pub.finish(1000);
    expect(rate.stored.filter((l) => l.stream === "stdout")).toHaveLength(10);
    expect(rate.pub.dropped).toBe(24);
    expect(rate.stored.at(-1)!.dropped).toBe(24);
  });

  test("long lines are clipped on a character boundary", async () => {
    const { pub, stored } = publisher({ lineMaxBytes: 300 });
    pub.accept(out("é".repeat(400)));
    await pub.finish(1000);
    expect(Buffer.byteLength(stored[0]!.message)).toBeLessThanOrEqual(300);
    expect(stored[0]!.message.endsWith("…[truncated]")).toBe(true);
    expect(clipUtf8("short", 300)).toBe("short");
  });

  test("a failing store counts lines as dropped; a hanging store does not hold finish() past its deadline", async () => {
    const failing = publisher({}, async () => { throw new Error("nats down"); });
    failing.pub.accept(out("a\nb"));
    await failing.pub.finish(1000);
    expect(failing.pub.dropped).toBeGreaterThanOrEqual(2);

    const hanging = publisher({ maxLines: 10_000 }, () => new Promise<void>(() => {}));
    hanging.pub.accept(out(Array.from({ length: 600 }, () => "x").join("\n")));
    expect(hanging.pub.dropped).toBe(600 - 512);   // the backlog limit
    const t0 = performance.now();
    await hanging.pub.finish(50);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

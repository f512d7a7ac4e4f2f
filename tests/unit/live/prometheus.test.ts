/**
 * Prometheus text helpers and the HTTP metrics registry: escaping, value formatting, HELP/TYPE
 * before samples, cumulative histogram buckets.
 */
import { describe, expect, test } from "bun:test";
import { escapeLabelValue, formatValue, HttpMetrics, PromWriter, SUBMIT_BUCKETS_SEC } from "../../../src/gateway/http-metrics.ts";

describe("prometheus text", () => {
  test("label values escape backslash, double quote and newline", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  test("values print as Go floats", () => {
    expect(formatValue(3)).toBe("3");
    expect(formatValue(0.25)).toBe("0.25");
    expect(formatValue(Infinity)).toBe("+Inf");
    expect(formatValue(NaN)).toBe("NaN");
  });

  test("a metric's HELP and TYPE come before its samples and the body ends with a newline", () => {
    const text = new PromWriter()
      .metric("x_total", "counter", "An x.\nSecond line", [{ labels: { a: 'q"' }, value: 2 }])
      .metric("y", "gauge", "A y.", [])
      .text();
    expect(text).toBe('# HELP x_total An x.\\nSecond line\n# TYPE x_total counter\nx_total{a="q\\""} 2\n# HELP y A y.\n# TYPE y gauge\n');
  });

  test("submit histogram buckets are cumulative and +Inf equals the count", () => {
    const m = new HttpMetrics();
    m.observeSubmit(0.0005);
    m.observeSubmit(0.003);
    m.observeSubmit(10);
    const w = new PromWriter();
    m.writeTo(w);
    const lines = w.text().split("\n");
    const bucket = (le: string) => Number(lines.find((l) => l.startsWith(`pyoco_submit_duration_seconds_bucket{le="${le}"}`))!.split(" ")[1]);
    expect(bucket("0.001")).toBe(1);
    expect(bucket("0.005")).toBe(2);
    expect(bucket(String(SUBMIT_BUCKETS_SEC.at(-1)))).toBe(2);
    expect(bucket("+Inf")).toBe(3);
    expect(lines).toContain("pyoco_submit_duration_seconds_count 3");
  });

  test("requests are counted per route template, method and status", () => {
    const m = new HttpMetrics();
    m.countRequest("/runs/:run_id", "GET", 200);
    m.countRequest("/runs/:run_id", "GET", 200);
    m.countRequest("/runs/:run_id", "GET", 404);
    const w = new PromWriter();
    m.writeTo(w);
    const text = w.text();
    expect(text).toContain('pyoco_http_requests_total{route="/runs/:run_id",method="GET",status="200"} 2\n');
    expect(text).toContain('pyoco_http_requests_total{route="/runs/:run_id",method="GET",status="404"} 1\n');
  });
});

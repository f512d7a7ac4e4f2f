/**
 * Schedule calls on top of `PyocoHttpClient` (http-contract.md §1.14 plus cron, pause/resume):
 *
 *   const schedules = new ScheduleClient(new PyocoHttpClient({ server }));
 *   const s = await schedules.create({ workflow, flowName: "main", tag: "cpu", cron: "0 3 * * *", timezone: "Asia/Tokyo" });
 *   await schedules.pause(s.schedule_id);
 *
 * Errors are the client's (`HttpStatusError`, `ConnectionError`).
 */
import type { PyocoHttpClient } from "./api.ts";
import type { YamlSchedule } from "./types.ts";

export interface ScheduleInput {
  workflow: Uint8Array | string;
  flowName: string;
  tag?: string;
  /** One-shot: ISO 8601 with an offset. */
  runAt?: string;
  /** Fixed interval in seconds; sent as Python's str(float) ("3600.0"), as the original CLI does. */
  intervalSeconds?: number;
  /** Interval: the first fire, ISO 8601 with an offset. */
  startAt?: string;
  /** 5-field cron expression, with an IANA `timezone` (default UTC). */
  cron?: string;
  timezone?: string;
  misfirePolicy?: "run_once" | "skip";
}

/** Python's str(float): 3600 → "3600.0", 1.5 → "1.5", 1e20 → "1e+20", 1e-5 → "1e-05". */
export function pythonFloatText(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf";
  if (n !== 0 && (Math.abs(n) >= 1e16 || Math.abs(n) < 1e-4)) return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

export class ScheduleClient {
  constructor(private readonly http: PyocoHttpClient) {}

  create(input: ScheduleInput): Promise<YamlSchedule> {
    const form = new FormData();
    form.append("workflow", new File([input.workflow as BlobPart], "flow.yaml", { type: "application/x-yaml" }));
    form.append("flow_name", input.flowName);
    const optional: [string, string | undefined][] = [
      ["tag", input.tag], ["run_at", input.runAt],
      ["interval_seconds", input.intervalSeconds === undefined ? undefined : pythonFloatText(input.intervalSeconds)],
      ["start_at", input.startAt], ["cron", input.cron], ["timezone", input.timezone], ["misfire_policy", input.misfirePolicy],
    ];
    for (const [name, value] of optional) if (value !== undefined) form.append(name, value);
    return this.http.request("POST", "/schedules/yaml", { body: form });
  }

  list(): Promise<YamlSchedule[]> {
    return this.http.request("GET", "/schedules");
  }

  get(scheduleId: string): Promise<YamlSchedule> {
    return this.http.request("GET", `/schedules/${encodeURIComponent(scheduleId)}`);
  }

  /** Runs the schedule made, newest first. `include`: "records" (the original CLI's flag; no effect) or "full". */
  runs(scheduleId: string, opts: { limit?: number; include?: "records" | "full" } = {}): Promise<Record<string, unknown>[]> {
    return this.http.request("GET", `/schedules/${encodeURIComponent(scheduleId)}/runs`, { query: { include: opts.include, limit: opts.limit } });
  }

  delete(scheduleId: string): Promise<{ schedule_id: string; deleted: boolean }> {
    return this.http.request("DELETE", `/schedules/${encodeURIComponent(scheduleId)}`);
  }

  pause(scheduleId: string): Promise<YamlSchedule> {
    return this.http.request("POST", `/schedules/${encodeURIComponent(scheduleId)}/pause`);
  }

  resume(scheduleId: string): Promise<YamlSchedule> {
    return this.http.request("POST", `/schedules/${encodeURIComponent(scheduleId)}/resume`);
  }
}

/** Cron parsing and next-fire computation (pure): field syntax, month ends, Feb 29, and DST in three zones. */
import { describe, expect, test } from "bun:test";
import { instantsOf, isValidTimeZone, nextCronFire, nextCronFires, parseCron } from "../../../src/domain/cron.ts";

const sec = (iso: string) => Date.parse(iso) / 1000;
const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString().replace(".000Z", "Z"));

function next(expr: string, zone: string, afterIso: string, count = 1): (string | null)[] {
  const parsed = parseCron(expr);
  if (!parsed.ok) throw new Error(parsed.reason);
  if (count === 1) return [iso(nextCronFire(parsed.spec, zone, sec(afterIso)))];
  return nextCronFires(parsed.spec, zone, sec(afterIso), count).map(iso);
}

describe("parseCron", () => {
  test.each([
    ["*/15 * * * *", { minutes: [0, 15, 30, 45] }],
    ["5-20/5 0 * * *", { minutes: [5, 10, 15, 20], hours: [0] }],
    ["10/20 * * * *", { minutes: [10, 30, 50] }],
    ["0 9 * JAN,jul MON-FRI", { months: [1, 7], daysOfWeek: [1, 2, 3, 4, 5] }],
    ["0 0 * * 7", { daysOfWeek: [0] }],
    ["1,2,3 4 5 6 0", { minutes: [1, 2, 3], hours: [4], daysOfMonth: [5], months: [6], daysOfWeek: [0] }],
    ["@daily", { minutes: [0], hours: [0] }],
    ["@hourly", { minutes: [0], hours: Array.from({ length: 24 }, (_, i) => i) }],
  ])("%s", (expr, expected) => {
    const parsed = parseCron(expr);
    if (!parsed.ok) throw new Error(parsed.reason);
    for (const [field, values] of Object.entries(expected)) {
      expect([...(parsed.spec as any)[field]].sort((a: number, b: number) => a - b)).toEqual(values);
    }
  });

  test.each([
    ["", "cron expression is empty"],
    ["* * * *", "needs 5 fields"],
    ["* * * * * *", "needs 5 fields"],
    ["61 * * * *", "minute: 61 is outside 0-59"],
    ["* 24 * * *", "hour: 24 is outside 0-23"],
    ["* * 0 * *", "day of month: 0 is outside 1-31"],
    ["* * * 13 *", "month: 13 is outside 1-12"],
    ["* * * * 8", "day of week: 8 is outside 0-7"],
    ["*/0 * * * *", "step '0' must be a positive number"],
    ["5-1 * * * *", "runs backwards"],
    ["a * * * *", "minute: 'a' is not a number"],
    ["* * * FOO *", "month: 'FOO' is not a number or a name"],
    ["1,,2 * * * *", "empty list item"],
    ["@every 5m", "unknown cron macro"],
    ["x".repeat(201), "longer than 200"],
  ])("rejects %p with a reason", (expr, reason) => {
    const parsed = parseCron(expr);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe("nextCronFire", () => {
  test.each([
    // expression, zone, after, expected next fire(s)
    ["every minute", "* * * * *", "UTC", "2024-05-01T10:00:30Z", ["2024-05-01T10:01:00Z"]],
    ["strictly after an exact slot", "0 * * * *", "UTC", "2024-05-01T10:00:00Z", ["2024-05-01T11:00:00Z"]],
    ["year rollover", "0 0 1 1 *", "UTC", "2024-12-31T23:59:59Z", ["2025-01-01T00:00:00Z"]],
    ["31st skips short months", "0 0 31 * *", "UTC", "2024-01-31T00:00:00Z", ["2024-03-31T00:00:00Z", "2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z"]],
    ["30th skips February", "0 6 30 * *", "UTC", "2024-01-30T06:00:00Z", ["2024-03-30T06:00:00Z"]],
    ["Feb 29 waits for a leap year", "0 12 29 2 *", "UTC", "2024-03-01T00:00:00Z", ["2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"]],
    ["Feb 29 skips 2100 (not a leap year)", "0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z", ["2104-02-29T00:00:00Z"]],
    ["day of month OR day of week when both are restricted", "0 9 13 * 5", "UTC", "2024-09-01T00:00:00Z", ["2024-09-06T09:00:00Z", "2024-09-13T09:00:00Z", "2024-09-20T09:00:00Z"]],
    ["weekdays in a half-hour zone", "0 9 * * 1-5", "Asia/Kolkata", "2024-06-01T00:00:00Z", ["2024-06-03T03:30:00Z"]],
    ["local midnight in Tokyo", "@daily", "Asia/Tokyo", "2024-06-01T00:00:00Z", ["2024-06-01T15:00:00Z", "2024-06-02T15:00:00Z"]],
    // Europe/Berlin: 2024-03-31 02:00 CET → 03:00 CEST; 2024-10-27 03:00 CEST → 02:00 CET.
    ["Berlin: a skipped time fires once right after the gap", "30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z",
      ["2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"]],
    ["Berlin: several slots in the gap fire once together", "*/15 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00Z",
      ["2024-03-31T01:00:00Z", "2024-04-01T00:00:00Z", "2024-04-01T00:15:00Z"]],
    ["Berlin: a repeated time fires once (first occurrence)", "30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00Z",
      ["2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"]],
    ["Berlin: hourly across the repeated hour fires each local hour once", "0 * * * *", "Europe/Berlin", "2024-10-26T23:30:00Z",
      ["2024-10-27T00:00:00Z", "2024-10-27T02:00:00Z", "2024-10-27T03:00:00Z"]],
    ["Berlin: hourly across the gap", "0 * * * *", "Europe/Berlin", "2024-03-30T23:30:00Z",
      ["2024-03-31T00:00:00Z", "2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z"]],
    // America/New_York: 2024-03-10 02:00 EST → 03:00 EDT; 2024-11-03 02:00 EDT → 01:00 EST.
    ["New York: skipped 02:00 fires at 03:00 EDT", "0 2 * * *", "America/New_York", "2024-03-09T12:00:00Z",
      ["2024-03-10T07:00:00Z", "2024-03-11T06:00:00Z"]],
    ["New York: repeated 01:30 fires once", "30 1 * * *", "America/New_York", "2024-11-02T12:00:00Z",
      ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"]],
    ["New York: asked during the second 01:xx pass, the next is the following day", "30 1 * * *", "America/New_York", "2024-11-03T06:10:00Z",
      ["2024-11-04T06:30:00Z"]],
    // Australia/Sydney (southern hemisphere): 2024-04-07 03:00 AEDT → 02:00 AEST; 2024-10-06 02:00 AEST → 03:00 AEDT.
    ["Sydney: repeated 02:30 fires once", "30 2 * * *", "Australia/Sydney", "2024-04-06T00:00:00Z",
      ["2024-04-06T15:30:00Z", "2024-04-07T16:30:00Z"]],
    ["Sydney: skipped 02:30 fires at 03:00 AEDT", "30 2 * * *", "Australia/Sydney", "2024-10-05T00:00:00Z",
      ["2024-10-05T16:00:00Z", "2024-10-06T15:30:00Z"]],
  ])("%s", (_name, expr, zone, after, expected) => {
    expect(next(expr, zone, after, expected.length)).toEqual(expected);
  });

  test("an expression that can never match returns null", () => {
    const parsed = parseCron("0 0 30 2 *");
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(nextCronFire(parsed.spec, "UTC", sec("2024-01-01T00:00:00Z"))).toBeNull();
  });
});

describe("time zones", () => {
  test("IANA names are known, nonsense is not", () => {
    for (const zone of ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]) expect(isValidTimeZone(zone)).toBe(true);
    for (const zone of ["", "Mars/Olympus", "Europe/Berlinn", "x".repeat(100)]) expect(isValidTimeZone(zone)).toBe(false);
  });

  test("a local time maps to none, one or two instants", () => {
    const at = (year: number, month: number, day: number, hour: number, minute: number) => ({ year, month, day, hour, minute });
    expect(instantsOf(at(2024, 3, 31, 2, 30), "Europe/Berlin")).toEqual([]);
    expect(instantsOf(at(2024, 10, 27, 2, 30), "Europe/Berlin").map((ms) => iso(ms / 1000))).toEqual(["2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"]);
    expect(instantsOf(at(2024, 6, 1, 12, 0), "Europe/Berlin").map((ms) => iso(ms / 1000))).toEqual(["2024-06-01T10:00:00Z"]);
  });
});

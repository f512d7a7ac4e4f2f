/**
 * Standard 5-field cron expressions and their next fire time in an IANA time zone. Pure: the
 * only outside dependency is Intl (Bun ships full ICU), used to map local wall-clock times to
 * instants.
 *
 *   const spec = parseCron("30 2 * * 1-5");             // { ok: true, spec } | { ok: false, reason }
 *   nextCronFire(spec.spec, "Europe/Berlin", nowSec);    // epoch seconds, or null (never fires)
 *
 * Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of week
 * (0-7 or SUN-SAT, 0 and 7 are Sunday). Each field is `*`, a value, a range `a-b`, a step
 * (`*\/n`, `a-b/n`, `a/n`) or a comma list of those. Macros: @yearly @annually @monthly @weekly
 * @daily @midnight @hourly. As in Vixie cron, when both day of month and day of week are
 * restricted (neither starts with `*`) a day matches if EITHER matches.
 *
 * Daylight saving time, the way a user expects it:
 * - a local time that does not exist (the clock jumps forward over it) fires once, at the first
 *   instant after the gap; several slots inside one gap fire once together;
 * - a local time that happens twice (the clock falls back) fires once, at its first occurrence.
 */

export interface CronSpec {
  /** The expression as given (trimmed). */
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  daysOfMonth: ReadonlySet<number>;
  months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 folded into 0). */
  daysOfWeek: ReadonlySet<number>;
  domRestricted: boolean;
  dowRestricted: boolean;
}

export type CronParse = { ok: true; spec: CronSpec } | { ok: false; reason: string };

/** Longest expression accepted (bounds the input before anything else looks at it). */
export const CRON_MAX_LENGTH = 200;

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
};

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldDef { name: string; min: number; max: number; names?: string[]; namesFrom?: number }

const FIELDS: FieldDef[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

class CronError extends Error {}

function parseValue(text: string, def: FieldDef): number {
  const upper = text.toUpperCase();
  if (def.names) {
    const i = def.names.indexOf(upper);
    if (i >= 0) return i + (def.namesFrom ?? 0);
  }
  if (!/^\d{1,2}$/.test(text)) throw new CronError(`${def.name}: '${text}' is not a number${def.names ? " or a name" : ""}`);
  const n = Number(text);
  if (n < def.min || n > def.max) throw new CronError(`${def.name}: ${n} is outside ${def.min}-${def.max}`);
  return n;
}

function parseField(text: string, def: FieldDef): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw new CronError(`${def.name}: empty list item`);
    const [rangeText, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new CronError(`${def.name}: '${part}' has more than one '/'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) throw new CronError(`${def.name}: step '${stepText}' must be a positive number`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (rangeText === "*") { lo = def.min; hi = def.max; }
    else if (rangeText!.includes("-")) {
      const [a, b, more] = rangeText!.split("-");
      if (more !== undefined || !a || !b) throw new CronError(`${def.name}: bad range '${rangeText}'`);
      lo = parseValue(a, def); hi = parseValue(b, def);
      if (lo > hi) throw new CronError(`${def.name}: range '${rangeText}' runs backwards`);
    } else {
      lo = parseValue(rangeText!, def);
      hi = stepText !== undefined ? def.max : lo;   // `a/n` = from a to the end, every n
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parse a 5-field expression or a macro; the reason names the field that is wrong. */
export function parseCron(expression: string): CronParse {
  const source = String(expression ?? "").trim();
  if (source === "") return { ok: false, reason: "cron expression is empty" };
  if (source.length > CRON_MAX_LENGTH) return { ok: false, reason: `cron expression is longer than ${CRON_MAX_LENGTH} characters` };
  const expanded = MACROS[source.toLowerCase()] ?? source;
  if (expanded.startsWith("@")) return { ok: false, reason: `unknown cron macro '${source}'` };
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) return { ok: false, reason: `cron expression needs 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}` };
  try {
    const [minutes, hours, dom, months, dowRaw] = parts.map((p, i) => parseField(p, FIELDS[i]!));
    const dow = new Set([...dowRaw!].map((d) => d % 7));
    return {
      ok: true,
      spec: {
        source, minutes: minutes!, hours: hours!, daysOfMonth: dom!, months: months!, daysOfWeek: dow,
        domRestricted: !parts[2]!.startsWith("*"), dowRestricted: !parts[4]!.startsWith("*"),
      },
    };
  } catch (err) {
    if (err instanceof CronError) return { ok: false, reason: `invalid cron expression: ${err.message}` };
    throw err;
  }
}

// ── time zones ──────────────────────────────────────────────────────────────────────────────

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the IANA zone name (e.g. "Asia/Tokyo", "UTC"). */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== "string" || timeZone === "" || timeZone.length > 64) return false;
  try { formatter(timeZone); return true; } catch { return false; }
}

export interface LocalTime { year: number; month: number; day: number; hour: number; minute: number }

/** Local wall-clock fields of an instant (ms) in a zone (seconds dropped). */
export function localTime(ms: number, timeZone: string): LocalTime {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== "literal") out[p.type] = Number(p.value);
  return { year: out.year!, month: out.month!, day: out.day!, hour: out.hour! % 24, minute: out.minute! };
}

function wallMs(t: LocalTime): number {
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
}

/** UTC offset (ms, local − UTC) in effect at an instant, to the minute. */
function offsetAt(ms: number, timeZone: string): number {
  const flooredMs = Math.floor(ms / 60_000) * 60_000;
  return wallMs(localTime(flooredMs, timeZone)) - flooredMs;
}

/**
 * Every instant (ms, ascending) whose local time in the zone is `t`: none in a DST gap, two in
 * a repeated hour, else one. Offsets are sampled a day either side, which covers every real
 * transition (they are months apart).
 */
export function instantsOf(t: LocalTime, timeZone: string): number[] {
  const wall = wallMs(t);
  const offsets = new Set([offsetAt(wall - 86_400_000, timeZone), offsetAt(wall, timeZone), offsetAt(wall + 86_400_000, timeZone)]);
  const out: number[] = [];
  for (const off of offsets) {
    const candidate = wall - off;
    if (wallMs(localTime(candidate, timeZone)) === wall && !out.includes(candidate)) out.push(candidate);
  }
  return out.sort((a, b) => a - b);
}

/** When local time `t` fires: its first occurrence, or for a time inside a gap, the end of the gap. */
function fireInstant(t: LocalTime, timeZone: string): number {
  const found = instantsOf(t, timeZone);
  if (found.length) return found[0]!;
  // Inside a gap: the first local minute that exists after it (gaps are at most a few hours).
  let probe = wallMs(t);
  for (let i = 0; i < 24 * 60; i++) {
    probe += 60_000;
    const d = new Date(probe);
    const next = instantsOf({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() }, timeZone);
    if (next.length) return next[0]!;
  }
  return wallMs(t) - offsetAt(wallMs(t), timeZone);
}

// ── next fire ───────────────────────────────────────────────────────────────────────────────

/** How far ahead the search looks (Feb 29 on a weekday needs up to 28 years). */
const SEARCH_YEARS = 30;

function dayMatches(spec: CronSpec, year: number, month: number, day: number): boolean {
  if (!spec.months.has(month)) return false;
  const dom = spec.daysOfMonth.has(day);
  const dow = spec.daysOfWeek.has(new Date(Date.UTC(year, month - 1, day)).getUTCDay());
  if (spec.domRestricted && spec.dowRestricted) return dom || dow;
  if (spec.domRestricted) return dom;
  if (spec.dowRestricted) return dow;
  return true;
}

function sorted(set: ReadonlySet<number>): number[] {
  return [...set].sort((a, b) => a - b);
}

/**
 * The first fire time strictly after `afterSec` (epoch seconds), or null when the expression
 * never fires within the search horizon (e.g. "0 0 30 2 *").
 */
export function nextCronFire(spec: CronSpec, timeZone: string, afterSec: number): number | null {
  const afterMs = afterSec * 1000;
  const start = localTime(afterMs, timeZone);
  const hours = sorted(spec.hours);
  const minutes = sorted(spec.minutes);
  const startWall = wallMs(start);
  // Local slots before local(after) never fire after it: a slot in a gap maps to the gap's end,
  // which is before `after` once local(after) is past the gap; a repeated slot maps to its first pass.
  let dayMs = Date.UTC(start.year, start.month - 1, start.day);
  const endMs = dayMs + SEARCH_YEARS * 366 * 86_400_000;
  for (; dayMs <= endMs; dayMs += 86_400_000) {
    const d = new Date(dayMs);
    const year = d.getUTCFullYear(), month = d.getUTCMonth() + 1, day = d.getUTCDate();
    if (!dayMatches(spec, year, month, day)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        if (Date.UTC(year, month - 1, day, hour, minute) < startWall) continue;
        const at = fireInstant({ year, month, day, hour, minute }, timeZone);
        if (at > afterMs) return at / 1000;
      }
    }
  }
  return null;
}

/** The next `count` fire times after `afterSec` (fewer when the expression stops firing). */
export function nextCronFires(spec: CronSpec, timeZone: string, afterSec: number, count: number): number[] {
  const out: number[] = [];
  let after = afterSec;
  while (out.length < count) {
    const next = nextCronFire(spec, timeZone, after);
    if (next === null) break;
    out.push(next);
    after = next;
  }
  return out;
}

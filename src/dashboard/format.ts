/**
 * Human-readable times, durations and numbers in the dashboard's language. Pure: `now` and the
 * locale are parameters, so tests can pin them.
 *
 *   relativeTime(1_700_000_000, 1_700_000_090, "en")   // "2 min. ago"  (ja: "2 分前")
 *   absoluteTime(1_700_000_000, "ja")                   // "2023/11/15 7:13:20" (local zone)
 *   formatDuration(83_400, "en")                        // "1 min 23 s"
 */
export type Lang = "en" | "ja";

export function localeOf(lang: Lang): string {
  return lang === "ja" ? "ja-JP" : "en-US";
}

/** A positive finite epoch-seconds value, or null (missing, 0 and garbage mean "unknown"). */
export function epoch(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

const rtfCache = new Map<Lang, Intl.RelativeTimeFormat>();
const absCache = new Map<Lang, Intl.DateTimeFormat>();
const clockCache = new Map<Lang, Intl.DateTimeFormat>();
const numCache = new Map<Lang, Intl.NumberFormat>();

function rtf(lang: Lang): Intl.RelativeTimeFormat {
  let f = rtfCache.get(lang);
  if (!f) rtfCache.set(lang, (f = new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto", style: "short" })));
  return f;
}

/** "12 sec. ago", "in 3 min.", "yesterday"; ja "12 秒前", "3 分後", "昨日". */
export function relativeTime(ts: number, now: number, lang: Lang): string {
  const diff = ts - now;
  const abs = Math.abs(diff);
  const f = rtf(lang);
  if (abs < 5) return f.format(0, "second");
  if (abs < 60) return f.format(Math.round(diff), "second");
  if (abs < 3600) return f.format(Math.round(diff / 60), "minute");
  if (abs < 86_400) return f.format(Math.round(diff / 3600), "hour");
  return f.format(Math.round(diff / 86_400), "day");
}

/** Local date and time to the second, for tooltips and detail facts. */
export function absoluteTime(ts: number, lang: Lang): string {
  let f = absCache.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(localeOf(lang), { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    absCache.set(lang, f);
  }
  return f.format(new Date(ts * 1000));
}

/** Local time of day (HH:MM:SS), for log lines and the status bar. */
export function clockTime(ts: number, lang: Lang): string {
  let f = clockCache.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(localeOf(lang), { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    clockCache.set(lang, f);
  }
  return f.format(new Date(ts * 1000));
}

const UNITS: Record<Lang, { ms: string; s: string; min: string; h: string; d: string; sep: string }> = {
  en: { ms: " ms", s: " s", min: " min", h: " h", d: " d", sep: " " },
  ja: { ms: "ミリ秒", s: "秒", min: "分", h: "時間", d: "日", sep: "" },
};

/** "340 ms", "4.2 s", "1 min 23 s", "2 h 5 min", "3 d 4 h"; ja "4.2秒", "1分23秒". */
export function formatDuration(ms: number, lang: Lang): string {
  const u = UNITS[lang];
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}${u.ms}`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? String(Math.round(s * 10) / 10) : Math.floor(s)}${u.s}`;
  const total = Math.floor(s);
  const d = Math.floor(total / 86_400), h = Math.floor((total % 86_400) / 3600), m = Math.floor((total % 3600) / 60), sec = total % 60;
  if (d > 0) return `${d}${u.d}${u.sep}${h}${u.h}`;
  if (h > 0) return `${h}${u.h}${u.sep}${m}${u.min}`;
  return `${m}${u.min}${u.sep}${sec}${u.s}`;
}

export function formatInt(n: number, lang: Lang): string {
  let f = numCache.get(lang);
  if (!f) numCache.set(lang, (f = new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: 0 })));
  return f.format(n);
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "";
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A value as compact one-line JSON, cut to `max` characters (strings unquoted). */
export function shortValue(value: unknown, max = 120): { text: string; long: boolean } {
  let text: string;
  if (typeof value === "string") text = value;
  else {
    try { text = JSON.stringify(value) ?? String(value); } catch { text = String(value); }
  }
  const oneLine = text.replace(/\s+/g, " ");
  const long = oneLine.length > max || text.includes("\n");
  return { text: oneLine.length > max ? oneLine.slice(0, max - 1) + "…" : oneLine, long };
}

export function prettyValue(value: unknown): string {
  if (typeof value === "string") return value;
  try { return JSON.stringify(value, null, 2) ?? String(value); } catch { return String(value); }
}

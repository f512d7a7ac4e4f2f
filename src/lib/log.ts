/**
 * Structured logger: `log.info(message, meta)`. JSON lines by default (PYOCO_LOG_FORMAT=json),
 * one plain line per record with `text`. Error values in meta are expanded into code, class,
 * message, stack and origin so that a log line alone explains a failure.
 */

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";
const LEVEL_RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

export interface LogOptions {
  service: string;
  level?: LogLevel;
  format?: "json" | "text";
  utc?: boolean;
  includeTraceback?: boolean;
  /** Where lines go; defaults to stdout. */
  write?: (line: string) => void;
}

export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  child(name: string): Logger;
}

function formatTs(date: Date, utc: boolean): string {
  if (utc) return date.toISOString().replace(/\.\d{3}Z$/, "Z");
  const pad = (n: number) => String(n).padStart(2, "0");
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:` +
    `${pad(date.getMinutes())}:${pad(date.getSeconds())}${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
}

/** Innermost stack frame of an error as {file, line, func}. */
export function errorOrigin(err: Error): { file: string; line: number; func: string } | null {
  const frame = (err.stack ?? "").split("\n").find((l) => /^\s+at /.test(l));
  if (!frame) return null;
  const m = frame.match(/at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/);
  if (!m) return null;
  return { func: m[1] ?? "<anonymous>", file: m[2]!, line: Number(m[3]) };
}

function expandError(err: unknown, includeTraceback: boolean): Record<string, unknown> {
  if (!(err instanceof Error)) return { exc_type: typeof err, exc_message: String(err) };
  const out: Record<string, unknown> = { exc_type: err.name, exc_message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") out.err_code = code;
  if (includeTraceback) {
    out.exc_traceback = err.stack ?? null;
    out.exc_origin = errorOrigin(err);
  }
  return out;
}

export function createLogger(opts: LogOptions, name = "pyoco"): Logger {
  const min = LEVEL_RANK[opts.level ?? "INFO"];
  const write = opts.write ?? ((line: string) => { process.stdout.write(line + "\n"); });
  const utc = opts.utc ?? true;
  const tb = opts.includeTraceback ?? true;

  function emit(level: LogLevel, message: string, meta?: Record<string, unknown>) {
    if (LEVEL_RANK[level] < min) return;
    const record: Record<string, unknown> = {
      ts: formatTs(new Date(), utc), service: opts.service, level, logger: name, message, process: process.pid,
    };
    for (const [k, v] of Object.entries(meta ?? {})) {
      if (k === "err" || k === "error" && v instanceof Error) Object.assign(record, expandError(v, tb));
      else if (v !== undefined) record[k] = v;
    }
    if (opts.format === "text") {
      const extras = Object.entries(record)
        .filter(([k]) => !["ts", "service", "level", "logger", "message", "process", "exc_traceback", "exc_origin"].includes(k))
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
      let line = `${level} ${opts.service} ${name} - ${message}${extras.length ? ` (${extras.join(", ")})` : ""}`;
      if (typeof record.exc_traceback === "string") line += "\n" + record.exc_traceback;
      write(line);
    } else {
      write(JSON.stringify(record, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
    }
  }

  return {
    debug: (m, meta) => emit("DEBUG", m, meta),
    info: (m, meta) => emit("INFO", m, meta),
    warn: (m, meta) => emit("WARNING", m, meta),
    error: (m, meta) => emit("ERROR", m, meta),
    child: (child) => createLogger(opts, `${name}.${child}`),
  };
}

/** A logger that drops everything (tests, library use without logging). */
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {}, child() { return silentLogger; },
};

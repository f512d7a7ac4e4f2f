/**
 * Plain-text tables as the original CLI prints them: a header row, each column left-justified to
 * its widest cell, two spaces between columns (trailing padding kept), `(no items)` when empty.
 */

/** A cell as Python's str() would show it; missing and null values show as "-". */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "-";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value);
}

export function renderTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return "(no items)\n";
  const cells = rows.map((row) => columns.map((c) => cellText(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join("  ");
  return [line(columns), ...cells.map(line)].join("\n") + "\n";
}

/** Columns of `list` / `list-vnext --output table`. */
export const RUN_COLUMNS = ["run_id", "status", "flow_name", "tag", "updated_at"] as const;

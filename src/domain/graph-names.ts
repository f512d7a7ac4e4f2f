/**
 * Names a flow.yaml graph uses that no task defines. The graph is Python source that the runner
 * `exec`s with only the task names, `flow` and `switch` in scope (pyoco-runner.md §2.3), so an
 * unknown bare name fails the run later with a NameError. This finds them at submit time.
 *
 * A light tokenizer, not a Python parser: strings and comments are skipped, attribute names
 * (after `.`) and keyword arguments are ignored, and names assigned in the graph count as defined.
 * Graphs using constructs it does not follow (def, lambda, for, import, …) are not checked —
 * it only reports a name when it is sure.
 */

const KEYWORDS = new Set([
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
  "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield",
]);
/** Keywords that bind names in ways the tokenizer does not follow. */
const UNFOLLOWED = new Set(["def", "class", "lambda", "import", "from", "global", "nonlocal", "with", "except", "for", "del", "as"]);
/** Always in the graph's scope besides the tasks. */
const BUILTIN_SCOPE = ["flow", "switch"];

export interface GraphName { name: string; /** Offset in the graph text of its first use. */ offset: number }

/** The graph text with string literals and comments blanked out (offsets preserved). */
function codeOnly(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "#") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      out += " ".repeat(stop - i);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      const quote = src.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < src.length && !src.startsWith(quote, j)) j += src[j] === "\\" ? 2 : 1;
      const stop = Math.min(src.length, j + quote.length);
      out += src.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Bare names used in `graph` that are neither tasks, `flow`/`switch`, nor assigned in the graph; [] when unsure. */
export function undefinedGraphNames(graph: string, taskNames: Iterable<string>): GraphName[] {
  const code = codeOnly(graph);
  if (code.includes(":=")) return [];
  const defined = new Set<string>([...taskNames, ...BUILTIN_SCOPE]);
  const uses: GraphName[] = [];
  for (const m of code.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const name = m[0];
    const at = m.index!;
    if (UNFOLLOWED.has(name)) return [];
    if (KEYWORDS.has(name)) continue;
    if (/\.\s*$/.test(code.slice(Math.max(0, at - 8), at)) || /[0-9]$/.test(code.slice(0, at))) continue;   // attribute, or a number like 1e5
    const after = code.slice(at + name.length);
    if (/^\s*=(?!=)/.test(after)) { defined.add(name); continue; }   // assignment target or keyword argument
    uses.push({ name, offset: at });
  }
  // Tuple targets (`a, b = …`): every name left of a statement's single `=` is assigned.
  for (const stmt of code.split(/[\n;]/)) {
    const eq = /^([^=]*[^=<>!])=(?!=)/.exec(stmt);
    if (eq) for (const m of eq[1]!.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) defined.add(m[0]);
  }
  const seen = new Set<string>();
  return uses.filter((u) => !defined.has(u.name) && !seen.has(u.name) && seen.add(u.name));
}

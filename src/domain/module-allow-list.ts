/**
 * The worker's allow-list of importable module prefixes (issue 10 item 10): a `flow.yaml` names
 * Python callables (`module:function`), so whoever may submit YAML may run code on every worker.
 * With an allow-list, only modules equal to a prefix or below it (`pkg` allows `pkg` and
 * `pkg.tasks`, not `pkgx`) are imported for YAML callables and module-form flow resolvers; the
 * runner enforces it (runner.py `--allow-module`). Pure.
 */

/** A dotted Python module name: what a prefix must look like. */
export const MODULE_PREFIX_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Why a prefix is rejected, or null when it is fine. */
export function invalidModulePrefix(prefix: string): string | null {
  if (prefix.length > 200) return `'${prefix.slice(0, 40)}…' is longer than 200 characters`;
  if (!MODULE_PREFIX_PATTERN.test(prefix)) return `'${prefix}' is not a dotted Python module name (e.g. my_tasks or company.flows)`;
  return null;
}

/** Split a comma/space separated list (PYOCO_WORKER_ALLOWED_MODULES), dropping empties and repeats. */
export function splitModulePrefixes(raw: string): string[] {
  return [...new Set(raw.split(/[,\s]+/).map((p) => p.trim()).filter(Boolean))];
}

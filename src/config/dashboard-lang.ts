/** Dashboard language (http-contract.md §6.4): setting, then locale variables, then English. */
import type { Env } from "./env.ts";

function normalize(value: string | undefined): "ja" | "en" | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  if (v.startsWith("ja")) return "ja";
  if (v.startsWith("en")) return "en";
  return null;
}

export function resolveDashboardLang(setting: "auto" | "ja" | "en", env: Env): "ja" | "en" {
  if (setting !== "auto") return setting;
  for (const name of ["LC_ALL", "LANGUAGE", "LC_MESSAGES", "LANG"]) {
    const first = env[name]?.split(":")[0];
    const lang = normalize(first);
    if (lang) return lang;
  }
  return "en";
}

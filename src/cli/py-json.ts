/** JSON as Python's json.dumps(obj, ensure_ascii=True) prints it: ", " and ": " separators. */
import { encodeWireJson } from "../domain/json.ts";

export function pyJson(value: unknown): string {
  if (Array.isArray(value)) return "[" + value.map(pyJson).join(", ") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${encodeWireJson(k)}: ${pyJson(v)}`).join(", ") + "}";
  }
  return encodeWireJson(value ?? null);
}

/**
 * Real wheels built by the tests (never checked in): Python's zipfile writes a valid
 * `*.dist-info` (METADATA, WHEEL, RECORD with hashes), so `pip install` accepts them.
 *   const path = await buildWheel(dir, { name: "wheel_demo", version: "1.0.0", modules: { "wheel_demo/__init__.py": "X = 1\n" } });
 */
import { join } from "node:path";
import { testPythonPath } from "./worker.ts";

export interface WheelSpec {
  /** Distribution name as written in the file name (e.g. "wheel_demo"). */
  name: string;
  version: string;
  /** PEP 425 tag triple. @default "py3-none-any" */
  tag?: string;
  /** Files inside the wheel: path → text. */
  modules: Record<string, string>;
  /** `Requires-Dist` lines. */
  requires?: string[];
  /** METADATA body (the long description). */
  description?: string;
  /** `*.dist-info/entry_points.txt`, as written. */
  entryPoints?: string;
}

const BUILD = String.raw`
import base64, hashlib, json, sys, zipfile
spec = json.loads(sys.argv[1]); out = sys.argv[2]
dist = spec["name"]; ver = spec["version"]; tag = spec.get("tag") or "py3-none-any"
info = f"{dist}-{ver}.dist-info"
meta = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {ver}\nSummary: test wheel\n"
for r in spec.get("requires") or []:
    meta += f"Requires-Dist: {r}\n"
if spec.get("description"):
    meta += "\n" + spec["description"] + "\n"
files = dict(spec["modules"])
files[f"{info}/METADATA"] = meta
if spec.get("entryPoints") is not None:
    files[f"{info}/entry_points.txt"] = spec["entryPoints"]
files[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: pyoco-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
record = []
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for path, text in files.items():
        data = text.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
`;

/** Write the wheel into `dir`; returns its path (file name per PEP 427). */
export async function buildWheel(dir: string, spec: WheelSpec): Promise<string> {
  const file = join(dir, `${spec.name}-${spec.version}-${spec.tag ?? "py3-none-any"}.whl`);
  const p = Bun.spawn([testPythonPath(), "-c", BUILD, JSON.stringify(spec), file], { stdout: "pipe", stderr: "pipe" });
  const code = await p.exited;
  if (code !== 0) throw new Error(`building ${file} failed: ${await new Response(p.stderr).text()}`);
  return file;
}

/** multipart body for POST /wheels. */
export function wheelForm(fileName: string, bytes: Uint8Array, fields: { tags?: string; replace?: string } = {}): FormData {
  const form = new FormData();
  if (fields.tags !== undefined) form.append("tags", fields.tags);
  if (fields.replace !== undefined) form.append("replace", fields.replace);
  form.append("wheel", new File([bytes as BlobPart], fileName, { type: "application/octet-stream" }));
  return form;
}

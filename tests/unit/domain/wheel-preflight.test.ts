import { describe, expect, test } from "bun:test";
import { countIniOptions, preflightWheel } from "../../../src/domain/wheel-preflight.ts";
import { testPythonPath } from "../../helpers/worker.ts";

const DOC = "A".repeat(80);
const GOOD_META = `Metadata-Version: 2.1\nName: my_tasks\nVersion: 1.0.0\nSummary: tasks\n\n${DOC}\n`;
const GOOD_EP = "[pyoco.tasks]\nhello = my_tasks:hello\n";
const STRICT = { allowNoEntryPoints: false, allowMissingUsageDoc: false };

describe("preflightWheel (the original's checks and messages)", () => {
  test("a complete wheel passes with nothing to say", () => {
    expect(preflightWheel({ validZip: true, metadata: GOOD_META, entryPoints: GOOD_EP }, STRICT)).toEqual({ errors: [], warnings: [] });
  });

  test("not a zip, or no METADATA: that one error and nothing else", () => {
    expect(preflightWheel({ validZip: false, metadata: null, entryPoints: null }, STRICT).errors).toEqual(["wheel file is not a valid zip archive"]);
    expect(preflightWheel({ validZip: true, metadata: null, entryPoints: GOOD_EP }, STRICT).errors).toEqual(["missing dist-info/METADATA"]);
  });

  test("missing name, version, usage doc and entry points are errors; an empty summary a warning", () => {
    const r = preflightWheel({ validZip: true, metadata: "Metadata-Version: 2.1\n\nshort\n", entryPoints: null }, STRICT);
    expect(r.errors).toEqual([
      "METADATA Name is missing",
      "METADATA Version is missing",
      "usage documentation is missing (need METADATA description>=80 chars or Project-URL: Documentation,...)",
      "entry_points are missing (dist-info/entry_points.txt)",
    ]);
    expect(r.warnings).toEqual(["METADATA Summary is empty"]);
  });

  test("the allow flags turn the usage-doc and entry-point errors into warnings", () => {
    const r = preflightWheel({ validZip: true, metadata: "Name: a\nVersion: 1\nSummary: s\n", entryPoints: "" }, { allowNoEntryPoints: true, allowMissingUsageDoc: true });
    expect(r).toEqual({ errors: [], warnings: ["usage documentation seems missing", "entry_points are missing"] });
  });

  test("a documentation Project-URL counts as usage documentation; other labels or an empty URL do not", () => {
    const meta = (url: string) => `Name: a\nVersion: 1\nSummary: s\nProject-URL: ${url}\n`;
    const docErrors = (url: string) => preflightWheel({ validZip: true, metadata: meta(url), entryPoints: GOOD_EP }, STRICT).errors;
    expect(docErrors("Documentation, https://example.invalid/docs")).toEqual([]);
    expect(docErrors("usage, https://example.invalid/u")).toEqual([]);
    expect(docErrors("Homepage, https://example.invalid/")).toHaveLength(1);
    expect(docErrors("Docs,  ")).toHaveLength(1);
  });

  test("an entry_points.txt configparser would refuse is 'format is invalid'", () => {
    const r = preflightWheel({ validZip: true, metadata: GOOD_META, entryPoints: "hello = x:y\n" }, STRICT);
    expect(r.errors).toEqual(["dist-info/entry_points.txt format is invalid"]);
  });
});

describe("countIniOptions reads entry_points.txt like Python's configparser", () => {
  const cases = [
    GOOD_EP,
    "",
    "# only a comment\n",
    "[a]\nx = 1\n[b]\ny: 2\nz=3\n",
    "[a]\nx = 1\n  continued\n\n  after a blank line\ny = 2\n",
    "x = 1\n",
    "[a]\njust words\n",
    "[a]\nx = 1\n[a]\ny = 2\n",
    "[a]\nX = 1\nx = 2\n",
    "[a]\n= value\n",
    "[console_scripts]\nmy-tool = my_tasks.cli:main [extra]\n\n[pyoco.tasks]\n; comment\nhello = my_tasks:hello\n",
    "[a]\r\nx = 1\r\n",
  ];
  test("same option count, or refusal, for every case", async () => {
    const script = "import configparser, json, sys\nout = []\nfor t in json.loads(sys.stdin.read()):\n    c = configparser.ConfigParser()\n    try:\n        c.read_string(t)\n        out.append(sum(len(c[s]) for s in c.sections()))\n    except configparser.Error:\n        out.append(None)\nprint(json.dumps(out))\n";
    const p = Bun.spawn([testPythonPath(), "-c", script], { stdin: new TextEncoder().encode(JSON.stringify(cases)), stdout: "pipe" });
    const python = JSON.parse(await new Response(p.stdout).text()) as (number | null)[];
    expect(cases.map(countIniOptions)).toEqual(python);
  });
});

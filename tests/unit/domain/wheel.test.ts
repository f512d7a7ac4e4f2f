/** Wheel rules without I/O: PEP 440 ordering, PEP 427 file names, tag headers, upload policy, selection. */
import { describe, expect, test } from "bun:test";
import {
  canonicalizeName, compareVersions, digestToHex, parseVersion, parseWheelFilename, selectWheels, uploadConflict, wheelTagsFromHeaders,
} from "../../../src/domain/wheel.ts";

const v = (s: string) => parseVersion(s)!;

describe("PEP 440 versions", () => {
  test("sort as packaging does", () => {
    const ordered = ["1.0.dev1", "1.0a1", "1.0a2.dev1", "1.0a2", "1.0b1", "1.0rc1", "1.0", "1.0+local.1", "1.0.post1.dev1", "1.0.post1", "1.1", "2!0.1"];
    const shuffled = [...ordered].reverse();
    expect(shuffled.sort((a, b) => compareVersions(v(a), v(b)))).toEqual(ordered);
    expect(compareVersions(v("1.0"), v("1.0.0"))).toBe(0);
    expect(compareVersions(v("1.10"), v("1.9"))).toBe(1);
    expect(v("1.0-RC.1").text).toBe("1.0rc1");
    expect(parseVersion("not a version")).toBeNull();
  });
});

describe("PEP 427 file names", () => {
  test("parse name, version, build tag and tag sets; reject malformed names", () => {
    expect(parseWheelFilename("Demo.Pkg-1.0.0-py3-none-any.whl")).toMatchObject({ name: "demo-pkg", tags: ["py3-none-any"] });
    expect(parseWheelFilename("pkg-1.0-1abc-py2.py3-none-any.whl")).toMatchObject({ build: [1, "abc"], tags: ["py2-none-any", "py3-none-any"] });
    expect(parseWheelFilename("my-pkg-1.0-py3-none-any.whl")).toBeNull();
    expect(parseWheelFilename("pkg-x.y-py3-none-any.whl")).toBeNull();
    expect(parseWheelFilename("pkg__x-1.0-py3-none-any.whl")).toBeNull();
    expect(canonicalizeName("Task_CPU.ext")).toBe("task-cpu-ext");
  });
});

describe("tag headers", () => {
  test("string and string[] values, any key case; invalid tags dropped", () => {
    expect(wheelTagsFromHeaders({ "x-pyoco-wheel-tags": "cpu, linux,cpu" })).toEqual(["cpu", "linux"]);
    expect(wheelTagsFromHeaders({ "X-Pyoco-Wheel-Tags": ["gpu,bad.tag"] })).toEqual(["gpu"]);
    expect(wheelTagsFromHeaders({})).toEqual([]);
    expect(digestToHex("SHA-256=" + Buffer.alloc(32, 1).toString("base64url") + "=")).toBe("01".repeat(32));
  });
});

describe("upload policy", () => {
  const parsed = (n: string) => parseWheelFilename(n)!;
  test("equal version of the same canonical package is a conflict whatever its platform tags", () => {
    expect(uploadConflict(parsed("demo_pkg-0.1.0-cp311-cp311-linux_x86_64.whl"), ["Demo.Pkg-0.1-py3-none-any.whl"])?.kind).toBe("same_version");
    expect(uploadConflict(parsed("demo_pkg-0.0.9-py3-none-any.whl"), ["demo_pkg-0.1-py3-none-any.whl", "other-9-py3-none-any.whl"])?.kind).toBe("not_greater");
    expect(uploadConflict(parsed("demo_pkg-0.2-py3-none-any.whl"), ["demo_pkg-0.1-py3-none-any.whl"])).toBeNull();
  });
});

describe("selection", () => {
  const obj = (name: string, tags?: string | string[]) => ({ name, nuid: `n-${name}`, size: 1, digest: "SHA-256=x", headers: tags === undefined ? {} : { "x-pyoco-wheel-tags": tags } });
  const supported = new Set(["py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"]);
  test("tag match, newest compatible per package, incompatible listed and not hiding older ones", () => {
    const s = selectWheels([
      obj("a-1.0-py3-none-any.whl"), obj("a-1.1-py3-none-any.whl", "cpu"), obj("a-1.2-py3-none-any.whl", "gpu"),
      obj("b-0.4-py3-none-win_amd64.whl"), obj("b-0.3-py3-none-any.whl"),
      obj("c-1-py3-none-any.whl", ["gpu"]), obj("README.txt"), obj("broken.whl"),
    ], ["cpu"], supported);
    expect(s.selected.map((w) => w.wheel_name)).toEqual(["a-1.1-py3-none-any.whl", "b-0.3-py3-none-any.whl"]);
    expect(s.selected[0]).toMatchObject({ package_name: "a", package_version: "1.1", tags: ["cpu"] });
    expect(s.skippedIncompatible).toEqual([{ wheel_name: "b-0.4-py3-none-win_amd64.whl", package_name: "b", package_version: "0.4", reason: "unsupported_wheel_tags" }]);
    expect(selectWheels([], ["cpu"], supported)).toEqual({ selected: [], skippedIncompatible: [] });
  });
});

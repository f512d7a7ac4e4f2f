/** Static file lookup for the dashboard: normal files, missing files, and no way out of static/. */
import { describe, expect, test } from "bun:test";
import { safeAssetPath, staticAsset } from "../../../src/gateway/assets.ts";

describe("dashboard assets", () => {
  test("files under static/ are found with their content type", async () => {
    const js = await staticAsset("app.js");
    expect(js).not.toBeNull();
    expect(js!.type).toContain("javascript");
    expect((await staticAsset("styles.css"))!.type).toContain("text/css");
  });

  test("missing files are null", async () => {
    expect(await staticAsset("nope.js")).toBeNull();
  });

  test("paths that could leave static/ are refused", async () => {
    for (const p of ["../package.json", "..%2Fpackage.json", "a/../../x", "/etc/passwd", "..\\x", "%2e%2e/package.json", "a\0b", ""]) {
      expect(safeAssetPath(p) === null || !(safeAssetPath(p) ?? "").includes("..")).toBe(true);
      const blob = await staticAsset(p);
      expect(blob).toBeNull();
    }
    expect(safeAssetPath("./sub//a.txt")).toBe("sub/a.txt");
  });
});

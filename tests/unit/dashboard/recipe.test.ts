/** The "Flow recipe" card (#detailFlowJson) in the original dashboard's shape. */
import { expect, test } from "bun:test";
import { flowRecipe, NOTE_NO_YAML, NOTE_YAML_NOT_STORED } from "../../../src/dashboard/recipe.ts";

test("a flow.yaml run: the sha256 and size, and a note that the body is not in the snapshot", () => {
  const run = { run_id: "r1", flow_name: "etl", tag: "cpu", tags: ["cpu"], params: { day: "2026-11-30" }, status: "COMPLETED", workflow_yaml_sha256: "ab12", workflow_yaml_bytes: 321 };
  expect(flowRecipe(run)).toEqual({
    flow_name: "etl", tag: "cpu", tags: ["cpu"], params: { day: "2026-11-30" },
    workflow_yaml: { available_in_snapshot: false, sha256: "ab12", bytes: 321, note: NOTE_YAML_NOT_STORED },
  });
});

test("a flow_name run: no sha, the note says so; missing params read as {}", () => {
  expect(flowRecipe({ flow_name: "hello", tag: "default", tags: ["default"] })).toEqual({
    flow_name: "hello", tag: "default", tags: ["default"], params: {},
    workflow_yaml: { available_in_snapshot: false, sha256: null, bytes: null, note: NOTE_NO_YAML },
  });
});

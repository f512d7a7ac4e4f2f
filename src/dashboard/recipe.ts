/**
 * The "Flow recipe" of a run (http-contract.md §6.1, `#detailFlowJson`): what was submitted, in
 * the original dashboard's shape. The snapshot never holds a flow.yaml body, only its sha256 and
 * size, so the note says where the body is not. No I/O.
 */
export interface FlowRecipe {
  flow_name: unknown;
  tag: unknown;
  tags: unknown;
  params: unknown;
  workflow_yaml: { available_in_snapshot: false; sha256: string | null; bytes: number | null; note: string };
}

export const NOTE_YAML_NOT_STORED = "the flow.yaml body is not stored in the run snapshot; keep your copy (sha256 and bytes identify it)";
export const NOTE_NO_YAML = "no flow.yaml: probably submitted by flow_name (POST /runs)";

export function flowRecipe(run: Record<string, unknown>): FlowRecipe {
  const sha256 = typeof run.workflow_yaml_sha256 === "string" && run.workflow_yaml_sha256 ? run.workflow_yaml_sha256 : null;
  const bytes = typeof run.workflow_yaml_bytes === "number" ? run.workflow_yaml_bytes : null;
  return {
    flow_name: run.flow_name ?? null, tag: run.tag ?? null, tags: run.tags ?? null, params: run.params ?? {},
    workflow_yaml: { available_in_snapshot: false, sha256, bytes, note: sha256 !== null || bytes !== null ? NOTE_YAML_NOT_STORED : NOTE_NO_YAML },
  };
}

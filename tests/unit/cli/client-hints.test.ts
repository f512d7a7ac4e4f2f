/** The CLI names the thing to do for the gateway's hardening answers (issue 10): 413 forms and 429. */
import { expect, test } from "bun:test";
import { translateClientError } from "../../../src/cli/client/index.ts";
import { HttpStatusError } from "../../../src/client/errors.ts";

const hintOf = (status: number, detail: string) =>
  (translateClientError(new HttpStatusError(status, "POST", "/runs", JSON.stringify({ detail })), "http://gw:8000") as { hint?: string }).hint;

test("413 job too large, 413 body too large and 429 get their own hints", () => {
  expect(hintOf(413, "job too large")).toContain("NATS message");
  expect(hintOf(413, "request body too large")).toContain("PYOCO_HTTP_MAX_BODY_BYTES");
  expect(hintOf(413, "workflow too large")).toContain("PYOCO_WORKFLOW_YAML_MAX_BYTES");
  expect(hintOf(429, "too many failed api key attempts; retry later")).toContain("Retry-After");
});

/**
 * Request validation with FastAPI/pydantic-shaped 422 bodies (http-contract.md §0.1):
 *   {"detail": [{"type", "loc", "msg", "input", "ctx"?}, …]}
 * Elysia's own 422 body has another shape, so routes validate here instead: the issue builders,
 * hostile-input checks for JSON bodies and field checkers for forms (query strings and JSON
 * schemas are checked by schema.ts, from TypeBox schemas).
 * Messages and type names are pydantic v2's, so Python clients that print them read the same text.
 */

import { findLoneSurrogate, jsonDepthExceeds, MAX_JSON_DEPTH } from "../domain/limits.ts";
import { BodyTooLargeError } from "./body-limit.ts";

export type Loc = (string | number)[];

export interface ValidationIssue {
  type: string;
  loc: Loc;
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** Thrown by routes; http-errors.ts turns it into 422 {"detail": issues}. */
export class RequestValidationError extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "));
    this.name = "RequestValidationError";
  }
}

/** pydantic's issue constructors (type names and messages verbatim). */
export const issue = {
  missing: (loc: Loc, input: unknown): ValidationIssue => ({ type: "missing", loc, msg: "Field required", input }),
  stringType: (loc: Loc, input: unknown): ValidationIssue => ({ type: "string_type", loc, msg: "Input should be a valid string", input }),
  tooShort: (loc: Loc, input: unknown, min: number): ValidationIssue => ({
    type: "string_too_short", loc, msg: `String should have at least ${min} character${min === 1 ? "" : "s"}`, input, ctx: { min_length: min },
  }),
  tooLong: (loc: Loc, input: unknown, max: number): ValidationIssue => ({
    type: "string_too_long", loc, msg: `String should have at most ${max} character${max === 1 ? "" : "s"}`, input, ctx: { max_length: max },
  }),
  pattern: (loc: Loc, input: unknown, pattern: string): ValidationIssue => ({
    type: "string_pattern_mismatch", loc, msg: `String should match pattern '${pattern}'`, input, ctx: { pattern },
  }),
  dictType: (loc: Loc, input: unknown): ValidationIssue => ({ type: "dict_type", loc, msg: "Input should be a valid dictionary", input }),
  listType: (loc: Loc, input: unknown): ValidationIssue => ({ type: "list_type", loc, msg: "Input should be a valid list", input }),
  modelType: (loc: Loc, input: unknown): ValidationIssue => ({
    type: "model_attributes_type", loc, msg: "Input should be a valid dictionary or object to extract fields from", input,
  }),
  stringUnicode: (loc: Loc): ValidationIssue => ({
    type: "string_unicode", loc, msg: "Input should be a valid string, unable to parse raw data as a unicode string", input: null,
  }),
  tooManyItems: (loc: Loc, max: number, actual: number): ValidationIssue => ({
    type: "too_long", loc, msg: `List should have at most ${max} item${max === 1 ? "" : "s"} after validation, not ${actual}`, input: null,
    ctx: { field_type: "List", max_length: max, actual_length: actual },
  }),
  jsonInvalid: (error: string): ValidationIssue => ({
    type: "json_invalid", loc: ["body", 0], msg: "JSON decode error", input: {}, ctx: { error },
  }),
  floatParsing: (loc: Loc, input: unknown): ValidationIssue => ({
    type: "float_parsing", loc, msg: "Input should be a valid number, unable to parse string as a number", input,
  }),
  intParsing: (loc: Loc, input: unknown): ValidationIssue => ({
    type: "int_parsing", loc, msg: "Input should be a valid integer, unable to parse string as an integer", input,
  }),
  boolParsing: (loc: Loc, input: unknown): ValidationIssue => ({
    type: "bool_parsing", loc, msg: "Input should be a valid boolean, unable to interpret input", input,
  }),
  ge: (loc: Loc, input: unknown, ge: number): ValidationIssue => ({
    type: "greater_than_equal", loc, msg: `Input should be greater than or equal to ${ge}`, input, ctx: { ge },
  }),
  le: (loc: Loc, input: unknown, le: number): ValidationIssue => ({
    type: "less_than_equal", loc, msg: `Input should be less than or equal to ${le}`, input, ctx: { le },
  }),
  expectedUpload: (loc: Loc, input: unknown): ValidationIssue => ({
    type: "value_error", loc, msg: "Value error, Expected UploadFile, received: <class 'str'>", input, ctx: { error: {} },
  }),
};

// ---------------------------------------------------------------------------------------------
// JSON bodies

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parse a JSON request body that FastAPI declares as a model: an absent body is
 * `missing at ["body"]`, bad JSON is `json_invalid`, a non-object is `model_attributes_type`.
 * Like FastAPI, a body whose Content-Type is present but not JSON (`application/json` or
 * `application/*+json`) is not parsed: it is the raw text, so it fails as `model_attributes_type`.
 * Bodies nested deeper than MAX_JSON_DEPTH are `json_invalid`, lone UTF-16 surrogates anywhere are
 * `string_unicode` (see parseJsonBody).
 * With `optional`, an absent/empty body yields `{}` (our additive optional bodies, e.g. cancel).
 */
export async function readJsonObject(request: Request, opts: { optional?: boolean } = {}): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") {
    if (opts.optional) return {};
    throw new RequestValidationError([issue.missing(["body"], null)]);
  }
  if (!declaresJson(request.headers.get("content-type"))) throw new RequestValidationError([issue.modelType(["body"], text.slice(0, ECHO_MAX))]);
  const value = parseJsonBody(text);
  if (!isPlainObject(value)) throw new RequestValidationError([issue.modelType(["body"], value)]);
  return value;
}

/** How much of a rejected input a 422 echoes back (a huge body is never mirrored whole). */
const ECHO_MAX = 200;

/** FastAPI's rule: no Content-Type, `application/json` or `application/<x>+json` count as JSON. */
export function declaresJson(contentType: string | null): boolean {
  if (contentType === null || contentType.trim() === "") return true;
  const mime = contentType.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json"));
}

/**
 * JSON.parse with the hostile-input checks every JSON body gets: nesting deeper than
 * MAX_JSON_DEPTH → `json_invalid` (checked before parsing), a lone surrogate in any string or key
 * → `string_unicode` at its location (it cannot be encoded as UTF-8 and breaks strict parsers).
 */
export function parseJsonBody(text: string): unknown {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new RequestValidationError([issue.jsonInvalid(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`)]);
  }
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) {
    throw new RequestValidationError([issue.jsonInvalid((err as Error).message)]);
  }
  const at = findLoneSurrogate(value);
  if (at) throw new RequestValidationError([issue.stringUnicode(["body", ...at])]);
  return value;
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data

/** The form of a request, or an empty one when the body is not a form (every field is then "missing"). */
export async function readForm(request: Request): Promise<FormData> {
  try { return await request.formData(); } catch (err) {
    if (err instanceof BodyTooLargeError) throw err;
    return new FormData();
  }
}

/** A required uploaded file (FastAPI `UploadFile = File(...)`); an empty text value counts as missing. */
export function formFile(form: FormData, name: string, issues: ValidationIssue[]): File | undefined {
  const v = form.get(name);
  if (v === null || v === "") { issues.push(issue.missing(["body", name], null)); return undefined; }
  if (typeof v === "string") { issues.push(issue.expectedUpload(["body", name], v)); return undefined; }
  return v;
}

/** A text form field; FastAPI treats an empty value as absent. Files sent as text fields are read as absent too. */
export function formText(form: FormData, name: string, issues: ValidationIssue[], opts: { required: boolean }): string | undefined {
  const v = form.get(name);
  const text = typeof v === "string" && v !== "" ? v : undefined;
  if (text === undefined && opts.required) issues.push(issue.missing(["body", name], null));
  return text;
}

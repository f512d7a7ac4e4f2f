/**
 * HTTP client of the gateway, used by `pyoco client` and by tests. Imports lib and domain only
 * (no NATS, no Elysia).
 *
 *   const client = new PyocoHttpClient({ server: "http://127.0.0.1:8000", apiKey });
 *   const { run_id } = await client.submit({ flowName: "main", params: { x: 1 } });
 *   const res = await client.stream("GET", `/runs/${run_id}/watch`, { timeoutMs: 0 });
 *   for await (const ev of parseSse(res.body!)) …
 */
export {
  PyocoHttpClient, type ClientOptions, type RequestOptions, type QueryValue, type SubmitResponse, type RunSnapshot,
  type ListFilters, type ListVnextFilters, type RunPage, type DlqFilters, type DlqListFilters, type LogWatchEvent, type LogWatchParams,
} from "./api.ts";
export type * from "./types.ts";
export { ScheduleClient, pythonFloatText, type ScheduleInput } from "./schedules.ts";
export { HttpStatusError, ConnectionError, InvalidResponseError, WaitTimeoutError } from "./errors.ts";
export { parseSse, sseJson, type SseMessage } from "./sse.ts";

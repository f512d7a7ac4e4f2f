/**
 * Every stream, subject, bucket and consumer name, derived from settings in one place
 * (wire-contract.md §1–§3). No other module spells "pyoco.work." or "PYOCO_WORK".
 */
import type { Settings } from "../config/index.ts";

/** Fixed in the original (no env var): the work stream and the durable consumer prefix. */
export const WORK_STREAM = "PYOCO_WORK";
export const CONSUMER_PREFIX = "pyoco_workers";

export interface ResourceNames {
  workStream: string;
  workSubjectPrefix: string;
  workSubject(tag: string): string;
  dlqStream: string;
  dlqSubjectPrefix: string;
  dlqSubject(tag: string): string;
  /** Task logs (ours): stream and `<prefix>.<run_id>` subjects. */
  logsStream: string;
  logsSubjectPrefix: string;
  logsSubject(runId: string): string;
  consumerName(tag: string): string;
  runsBucket: string;
  workersBucket: string;
  bundlesBucket: string;
  schedulesBucket: string;
  relationsBucket: string;
  authBucket: string;
  wheelHistoryBucket: string;
  wheelBucket: string;
  /** The tag of a work subject (last token), or "unknown". */
  tagOfSubject(subject: string): string;
}

/** `*Bucket` names that are object stores (stream OBJ_<bucket>); every other bucket is a KV (KV_<bucket>). */
export const OBJECT_STORE_KEYS: readonly string[] = ["wheelBucket"];

/** The stream behind each pyoco resource: every `*Stream` name and every `*Bucket` (KV_ or OBJ_), new ones included. */
export function resourceStreams(names: ResourceNames): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(names)) {
    if (typeof value !== "string") continue;
    if (key.endsWith("Stream")) out.push(value);
    else if (key.endsWith("Bucket")) out.push(OBJECT_STORE_KEYS.includes(key) ? `OBJ_${value}` : `KV_${value}`);
  }
  return [...new Set(out)];
}

export function resourceNames(s: Pick<Settings,
  "workSubjectPrefix" | "dlqStream" | "dlqSubjectPrefix" | "logsStream" | "logsSubjectPrefix" | "runsBucket" | "workersBucket" | "bundlesBucket" |
  "schedulesBucket" | "relationsBucket" | "authBucket" | "wheelHistoryBucket" | "wheelBucket">): ResourceNames {
  return {
    workStream: WORK_STREAM,
    workSubjectPrefix: s.workSubjectPrefix,
    workSubject: (tag) => `${s.workSubjectPrefix}.${tag}`,
    dlqStream: s.dlqStream,
    dlqSubjectPrefix: s.dlqSubjectPrefix,
    dlqSubject: (tag) => `${s.dlqSubjectPrefix}.${tag}`,
    logsStream: s.logsStream,
    logsSubjectPrefix: s.logsSubjectPrefix,
    logsSubject: (runId) => `${s.logsSubjectPrefix}.${runId}`,
    consumerName: (tag) => `${CONSUMER_PREFIX}_${tag}`,
    runsBucket: s.runsBucket,
    workersBucket: s.workersBucket,
    bundlesBucket: s.bundlesBucket,
    schedulesBucket: s.schedulesBucket,
    relationsBucket: s.relationsBucket,
    authBucket: s.authBucket,
    wheelHistoryBucket: s.wheelHistoryBucket,
    wheelBucket: s.wheelBucket,
    tagOfSubject: (subject) => subject.split(".").pop() || "unknown",
  };
}

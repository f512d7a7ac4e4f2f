/**
 * Per-tag queue figures as an operator reads them (`GET /queues`, `pyoco_queue_*` metrics). Pure.
 *
 * JetStream counts a job as "ack pending" from its delivery until it is acknowledged, also after
 * a NAK and after its holder died (it is then only waiting for redelivery). With no alive worker
 * serving the tag nobody holds such a job, so it is counted as waiting: the documented alert
 * `waiting > 0 and workers == 0` must fire for a tag whose last worker stopped or died.
 */
export interface QueueCounts {
  /** Messages not yet delivered (consumer num_pending). */
  waiting: number;
  /** Delivered and not acknowledged (consumer num_ack_pending). */
  unacknowledged: number;
}

export function attributeUnacknowledged(counts: QueueCounts, aliveWorkers: number): QueueCounts {
  if (aliveWorkers > 0) return counts;
  return { waiting: counts.waiting + counts.unacknowledged, unacknowledged: 0 };
}

/**
 * Worker area: pulls run jobs by tag from the JetStream work queue and executes them in
 * supervised Python runners; writes run snapshots (CAS), the worker registry and DLQ records.
 * Imports lib, domain, config, jetstream and runner; never gateway or client.
 *
 *   const worker = new Worker({ settings, workerId: "w1", tags: ["cpu"], python, resolver: "flows.py:resolve",
 *     concurrency: 1, maxRunsPerProcess: 1000, workDir, drainTimeoutSec: 30, log });
 *   await worker.start();                 // RunnerStartupError / NatsUnavailableError
 *   await worker.close({ force });        // on SIGTERM: drain, then kill and nak; STOPPED_GRACEFUL
 */
export { Worker, type WorkerOptions, type WorkerLifecycle } from "./worker.ts";
export { SlotGate } from "./slots.ts";

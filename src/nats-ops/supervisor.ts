/**
 * Keep a local nats-server running (`pyoco nats up`, `pyoco up --with-nats-bootstrap`): start it,
 * and when it dies unexpectedly start it again with backoff (1 s, 2 s, … 30 s), one log line per
 * event. A node that was asked to leave (`pyoco nats leave` writes a marker) is not restarted.
 * Writes the supervising process's pid file for `pyoco nats down`.
 *
 *   const node = await superviseNatsServer(opts, { log: (l) => io.stderr(l + "\n"), signal });
 *   await node.done;            // resolves "stopped" (signal) or "left" (leave) — never on a crash
 *   await node.stop();
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { sleep, whenAborted } from "../lib/async.ts";
import { nodeFiles, startLocalNatsServer, type LocalNatsServer, type LocalNatsServerOptions } from "./server.ts";

export interface SupervisedNats {
  /** The server running now (replaced after a restart). */
  readonly current: LocalNatsServer;
  /** Resolves when supervision ended: "stopped" after stop()/signal, "left" after `pyoco nats leave`. */
  readonly done: Promise<"stopped" | "left">;
  /** Stop supervising and stop the server (SIGTERM, then SIGKILL after graceMs). */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

/** Start the server (errors of the FIRST start are thrown: bad config, taken port) and supervise it. */
export async function superviseNatsServer(opts: LocalNatsServerOptions, ctl: { log: (line: string) => void; signal?: AbortSignal }): Promise<SupervisedNats> {
  const first = await startLocalNatsServer(opts);
  const files = nodeFiles(first.storeDir);
  rmSync(files.leaving, { force: true });
  writeFileSync(files.pyocoPid, `${process.pid}\n`);
  let current = first;
  let stopping = false;
  const stopped = new AbortController();
  const stopRequested = ctl.signal ? AbortSignal.any([ctl.signal, stopped.signal]) : stopped.signal;

  const done = (async (): Promise<"stopped" | "left"> => {
    let restarts = 0;
    for (;;) {
      // whenAborted also resolves for a signal that aborted before supervision began (Ctrl-C during start).
      const info = await Promise.race([current.exited, whenAborted(stopRequested).then(() => null)]);
      if (info === null || stopping || stopRequested.aborted) return "stopped";
      if (existsSync(files.leaving)) {
        ctl.log(`pyoco: nats-server ${current.serverName} left the cluster (pyoco nats leave); not restarting`);
        rmSync(files.leaving, { force: true });
        return "left";
      }
      const tail = current.logTail().trim().split("\n").slice(-3).join("\n");
      for (;;) {
        restarts++;
        const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(restarts - 1, 5));
        ctl.log(`pyoco: nats-server (pid ${current.pid}) exited unexpectedly (code ${info.exitCode ?? info.signal}); restarting in ${delayMs / 1000} s (restart ${restarts})${tail ? `\n${tail}` : ""}`);
        await sleep(delayMs, stopRequested);
        if (stopRequested.aborted) return "stopped";
        try {
          current = await startLocalNatsServer(opts);
          ctl.log(`pyoco: nats-server restarted (pid ${current.pid}) on ${current.url}`);
          break;
        } catch (err) {
          ctl.log(`pyoco: nats-server restart failed: ${(err as Error).message}`);
        }
      }
    }
  })();

  return {
    get current() { return current; },
    done,
    async stop(o) {
      stopping = true;
      stopped.abort();
      await done;
      await current.stop({ graceMs: o?.graceMs ?? 5000 });
      rmSync(resolve(files.pyocoPid), { force: true });
    },
  };
}

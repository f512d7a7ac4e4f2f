/**
 * NATS.js's Node transport, with the frames of one event-loop turn written in one socket write.
 *
 * NATS.js flushes its outbound buffer on a microtask, so every HTTP request (a task of its own)
 * that publishes makes its own `write` syscall, and nats-server then reads and acknowledges one
 * message per read. Under submit load that syscall was the gateway's largest single cost (21 % of
 * its CPU), and nats-server spent twice the CPU per submit of the same work sent in batches.
 * Holding the frames until the turn's I/O callbacks have run (`setImmediate`) sends the
 * publishes of all requests that arrived together at once; the added delay is one loop turn.
 * Order is kept (one queue, one writer) and nothing is held across a close.
 */
import { NodeTransport, nodeResolveHost } from "@nats-io/transport-node/lib/node_transport";
import { NatsConnectionImpl, setTransportFactory, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";

/** Above this many bytes waiting, write at once (large payloads such as wheel chunks gain nothing from waiting). */
const WRITE_AT_ONCE_BYTES = 64 * 1024;

class CoalescingTransport extends NodeTransport {
  #frames: Uint8Array[] = [];
  #bytes = 0;

  override send(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#bytes += frame.length;
    if (this.#bytes >= WRITE_AT_ONCE_BYTES) this.#flush();
    else if (this.#frames.length === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    if (this.#frames.length === 0) return;
    const frames = this.#frames;
    const bytes = this.#bytes;
    this.#frames = [];
    this.#bytes = 0;
    super.send(frames.length === 1 ? frames[0]! : concat(frames, bytes));
  }

  // Closing writes what is waiting first, as the frames would have been written already without coalescing.
  override close(err?: Error): Promise<void> {
    this.#flush();
    return super.close(err);
  }

  override disconnect(): void {
    this.#flush();
    super.disconnect();
  }
}

function concat(frames: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const f of frames) { out.set(f, at); at += f.length; }
  return out;
}

/** `connect()` of @nats-io/transport-node, on the coalescing transport. */
export function connectCoalescing(opts: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new CoalescingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(opts);
}

/** Ports this test process has handed out; the OS may offer a just-closed port again, so never twice. */
const handedOut = new Set<number>();

/**
 * A TCP port that is free right now on 127.0.0.1 (for commands that need fixed ports, like `pyoco up`).
 * Distinct from every port returned before in this process: a cluster test takes nine at once, and
 * a repeat (seen about once in ten three-node start-ups) makes two listeners collide.
 */
export function freePort(): number {
  for (;;) {
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = server.port;
    server.stop(true);
    if (!handedOut.has(port)) { handedOut.add(port); return port; }
  }
}

/** A TCP port that is free right now on 127.0.0.1 (for commands that need fixed ports, like `pyoco up`). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

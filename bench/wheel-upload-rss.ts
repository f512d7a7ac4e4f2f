/**
 * Bench: gateway memory during a large wheel upload (issue 9). Starts nats-server and the
 * gateway as its own process, uploads a SIZE_MB wheel (random bytes; the registry stores any
 * bytes under a valid wheel name) through the streaming client, samples the gateway's RSS every
 * 20 ms, and prints the baseline, the peak, the upload time and the throughput.
 *   bun bench/wheel-upload-rss.ts            # 200 MB
 *   SIZE_MB=500 bun bench/wheel-upload-rss.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PyocoHttpClient } from "../src/client/index.ts";
import { WheelsClient } from "../src/client/wheels.ts";
import { startNatsServer } from "../tests/helpers/nats-server.ts";
import { startGatewayProc } from "./gateway-proc.ts";

const sizeMb = Number(process.env.SIZE_MB ?? 200);
const dir = mkdtempSync(join(tmpdir(), "pyoco-wheel-bench-"));
const file = join(dir, "big_wheel-1.0.0-py3-none-any.whl");
const writer = Bun.file(file).writer();
const block = crypto.getRandomValues(new Uint8Array(1024 * 1024));
for (let i = 0; i < sizeMb; i++) writer.write(block);
await writer.end();

const nats = await startNatsServer();
const gw = await startGatewayProc(nats.url, { PYOCO_WHEEL_MAX_BYTES: String((sizeMb + 16) * 1024 * 1024) });
try {
  await fetch(`${gw.url}/wheels`);   // warm the route and the object store handle
  const baseline = gw.rssMb();
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, gw.rssMb()); }, 20);
  const t0 = performance.now();
  const info = await new WheelsClient(new PyocoHttpClient({ server: gw.url, timeoutMs: 0 })).upload(file);
  const sec = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, gw.rssMb());
  console.log(JSON.stringify({
    bench: "wheel-upload-rss", size_mb: sizeMb, stored_bytes: info.size_bytes,
    gateway_rss_baseline_mb: Math.round(baseline), gateway_rss_peak_mb: Math.round(peak), gateway_rss_growth_mb: Math.round(peak - baseline),
    upload_sec: Number(sec.toFixed(2)), throughput_mb_s: Number((sizeMb / sec).toFixed(1)),
  }));
} finally {
  await gw.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
}

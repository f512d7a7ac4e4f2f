/**
 * A deterministic corpus of hostile HTTP requests (issue 10): the known attack cases (malformed
 * percent-encoding, deep JSON, oversized and chunked bodies, long tags, lone surrogates, NaN,
 * text/plain, bad forms, YAML alias bombs, garbage queries and keys) plus random requests against
 * every route the gateway documents in /openapi.json. Seeded, so a failure can be replayed.
 */

export interface FuzzRequest {
  /** A short label of the case family, for the failure report. */
  kind: string;
  method: string;
  /** Path and query, already encoded as sent on the wire. */
  target: string;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** mulberry32: small, fast, good enough for fuzzing. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JSON_TYPE = { "content-type": "application/json" };

export function buildCorpus(opts: { seed: number; size: number; routes: { method: string; path: string }[]; maxBodyBytes: number }): FuzzRequest[] {
  const rand = rng(opts.seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const uuid = () => crypto.randomUUID();

  const junkChars = ["%", "%ff", "%E0%A4%A", "%00", "%2F", "..", "%c3%28", "\u00e9", "%ZZ", "%25", "a".repeat(300), "~", "%F0%9F%98%80", "%ed%a0%80"];
  const junkSegment = () => Array.from({ length: 1 + int(4) }, () => pick(junkChars)).join("");
  const randomString = (max: number) => {
    let s = "";
    const n = int(max);
    for (let i = 0; i < n; i++) s += String.fromCharCode(int(4) === 0 ? int(0xffff) : 32 + int(95));
    return s;
  };
  const randomJson = (depth: number): unknown => {
    const r = int(depth > 4 ? 6 : 9);
    switch (r) {
      case 0: return null;
      case 1: return rand() < 0.5;
      case 2: return rand() * 1e6 - 5e5;
      case 3: return randomString(40);
      case 4: return int(2 ** 31);
      case 5: return "";
      case 6: return Array.from({ length: int(4) }, () => randomJson(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [randomString(10), randomJson(depth + 1)]));
    }
  };
  const deep = (n: number, open = "[", close = "]") => open.repeat(n) + close.repeat(n);
  const form = (fields: Record<string, string | File>) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.set(k, v);
    return f;
  };
  const yamlBomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
  const chunked = (bytes: number) => new ReadableStream<Uint8Array>({
    start(c) { const chunk = new Uint8Array(65536).fill(0x61); for (let sent = 0; sent < bytes; sent += chunk.length) c.enqueue(chunk); c.close(); },
  });

  /** The known cases of issue 10, each a generator of one request. */
  const known: (() => FuzzRequest)[] = [
    () => ({ kind: "pct-path", method: pick(["GET", "POST"]), target: `/runs/${pick(["%ff", "%", "%E0%A4%A", "%c3", "%%"])}${pick(["", "/tasks", "/cancel", "/watch?timeout_sec=1", "/logs"])}` }),
    () => ({ kind: "pct-path-any", method: pick(["GET", "PATCH", "DELETE", "POST"]), target: "/" + junkSegment() + "/" + junkSegment() }),
    () => ({ kind: "long-id", method: "GET", target: `/runs/${"a".repeat(1000 + int(8000))}` }),
    () => ({ kind: "deep-json", method: "POST", target: "/runs", headers: JSON_TYPE, body: pick([deep(100_000), deep(5000, "{\"a\":", "}"), `{"flow_name":"x","params":{"a":${deep(2000)}}}`]) }),
    () => ({ kind: "deep-json-patch", method: "PATCH", target: `/workers/w${int(5)}`, headers: JSON_TYPE, body: deep(50_000) }),
    () => ({ kind: "text-plain", method: "POST", target: "/runs", headers: { "content-type": "text/plain" }, body: JSON.stringify({ flow_name: "x" }) }),
    () => ({ kind: "surrogate", method: "POST", target: "/runs", headers: JSON_TYPE, body: pick(['{"flow_name":"a\\ud800"}', '{"flow_name":"x","tag":"\\udfff"}', '{"flow_name":"x","params":{"\\ud83d":1}}']) }),
    () => ({ kind: "long-tag", method: "POST", target: "/runs", headers: JSON_TYPE, body: JSON.stringify({ flow_name: "x", tag: "t".repeat(pick([129, 4100, 70_000])) }) }),
    () => ({ kind: "long-names", method: "POST", target: "/runs", headers: JSON_TYPE, body: JSON.stringify({ flow_name: "f".repeat(300 + int(5000)), tags: Array.from({ length: int(300) }, () => randomString(200)) }) }),
    () => ({ kind: "nan-json", method: "POST", target: "/runs", headers: JSON_TYPE, body: pick(['{"flow_name":"x","params":{"a":NaN}}', '{"flow_name":"x","params":{"a":Infinity}}', "NaN", '{"flow_name":-Infinity}']) }),
    () => ({ kind: "big-declared", method: "POST", target: pick(["/runs", "/runs/yaml", `/runs/${uuid()}/cancel`]), headers: JSON_TYPE, body: new Uint8Array(opts.maxBodyBytes + 1 + int(4 * 1024 * 1024)).fill(0x20) }),
    () => ({ kind: "big-chunked", method: "POST", target: "/runs", headers: JSON_TYPE, body: chunked(opts.maxBodyBytes + 65536 * (1 + int(16))) }),
    () => ({ kind: "big-job", method: "POST", target: "/runs", headers: JSON_TYPE, body: JSON.stringify({ flow_name: "x", params: { blob: "x".repeat(Math.min(opts.maxBodyBytes - 200, 1_100_000)) } }) }),
    () => ({ kind: "bad-utf8", method: "POST", target: "/runs", headers: JSON_TYPE, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) }),
    () => ({ kind: "truncated-json", method: "POST", target: pick(["/runs", `/runs/${uuid()}/cancel`]), headers: JSON_TYPE, body: JSON.stringify({ flow_name: "x", params: { a: [1, 2, 3] } }).slice(0, 5 + int(20)) }),
    () => ({ kind: "yaml-bomb", method: "POST", target: "/runs/yaml", body: form({ workflow: new File([yamlBomb], "flow.yaml"), flow_name: "main" }) }),
    () => ({ kind: "yaml-garbage", method: "POST", target: "/runs/yaml", body: form({ workflow: new File([randomString(400)], "flow.yaml"), flow_name: randomString(30) || "x", tag: pick(["", "a.b", "t".repeat(200), "ok"]) }) }),
    () => ({ kind: "yaml-deep", method: "POST", target: "/runs/yaml", body: form({ workflow: new File([`version: 1\nflow:\n  graph: a\n  defaults:\n    x: ${deep(3000)}\ntasks:\n  a:\n    callable: m:f\n`], "f.yaml"), flow_name: "main" }) }),
    () => ({ kind: "form-as-text", method: "POST", target: "/runs/yaml", headers: { "content-type": "multipart/form-data; boundary=zz" }, body: "--zz\r\nContent-Disposition: form-data; name=\"workflow\"\r\n\r\n" + randomString(100) }),
    () => ({ kind: "query-garbage", method: "GET", target: `/runs?${pick(["limit=-1", "limit=1e9", "limit=abc", "cursor=%%%", "cursor=" + "A".repeat(5000), "updated_after=NaN", "updated_after=1e999", "include=full&include=%ff", "status=" + "%00".repeat(50)])}` }),
    () => ({ kind: "watch-garbage", method: "GET", target: `/runs/${uuid()}/watch?${pick(["timeout_sec=0", "timeout_sec=99999", "heartbeat_sec=-1", "since=abc", "last_event_id=" + "9".repeat(400)])}` }),
    () => ({ kind: "api-key-garbage", method: "GET", target: "/runs", headers: { "X-API-Key": pick(["pyoco_", "pyoco_" + "a".repeat(70) + "." + "b".repeat(300), "\u00ff\u00fe", "pyoco_abcdefgh.aaaaaaaaaaaaaaaa"]) } }),
    () => ({ kind: "workers-patch", method: "PATCH", target: `/workers/${pick(["w1", "%ff", "a".repeat(400), "..", "x.y"])}`, headers: JSON_TYPE, body: JSON.stringify(randomJson(0)) }),
    () => ({ kind: "cancel-body", method: "POST", target: `/runs/${uuid()}/cancel`, headers: JSON_TYPE, body: JSON.stringify(pick([{ reason: "r".repeat(5000) }, { reason: 5 }, [], "x", { reason: "\ud800" }])) }),
  ];

  const randomRoute = (): FuzzRequest => {
    const route = pick(opts.routes);
    const path = route.path.replace(/\{[^}]+\}/g, () => pick([uuid(), junkSegment(), "x", "a".repeat(int(600)), ""]));
    const query = rand() < 0.5 ? "?" + Array.from({ length: 1 + int(4) }, () => `${pick(["limit", "cursor", "include", "tag", "status", "since", "timeout_sec", "q", junkSegment()])}=${pick(["1", "-1", junkSegment(), "", "1e400", "true"])}`).join("&") : "";
    const method = rand() < 0.8 ? route.method.toUpperCase() : pick(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
    const withBody = method !== "GET" && method !== "HEAD";
    const body = !withBody ? undefined : pick([JSON.stringify(randomJson(0)), randomString(200), deep(int(3000)), "", JSON.stringify({ flow_name: randomString(20), params: randomJson(0), tag: randomString(10), tags: randomJson(1) })]);
    const target = path.includes("/watch") || path.endsWith("/logs/watch") ? `${path}?timeout_sec=1` : path + query;
    return { kind: `random ${route.method.toUpperCase()} ${route.path}`, method, target, headers: rand() < 0.7 ? JSON_TYPE : { "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "image/png"]) }, body };
  };

  const out: FuzzRequest[] = [];
  // Every known case several times first, then random requests to fill the corpus; the heavy
  // bodies (multi-MiB) are a small share so the corpus stays fast.
  for (let round = 0; out.length < opts.size; round++) {
    if (round < 40) for (const make of known) out.push(make());
    else out.push(rand() < 0.25 ? pick(known)() : randomRoute());
  }
  return out.slice(0, opts.size);
}

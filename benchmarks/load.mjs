// An open-loop, constant-rate HTTP load generator in plain Node.js (no packages): wrk2 is not
// packaged here and the Python generator (benchmarks/load.py) cannot offer more than ~300
// requests/s from one core, so it measured itself, not the server.
//
// Open loop: request i is *due* at start + i / rate whether or not earlier ones have answered,
// and its latency counts from when it was due, so a slow server cannot hide its queue (no
// coordinated omission). Requests wait for a free keep-alive connection (at most --connections);
// one still open --timeout seconds after it was due counts as timed out. The run ends by itself.
//
//   node benchmarks/load.mjs URL --rate 200 --seconds 20 [--method POST --json BODY --header 'K: V']
//
// Prints one JSON line with the same fields as benchmarks/load.py.
import http from "node:http";
import os from "node:os";

function parse(argv) {
  const a = { method: "GET", headers: {}, rate: 200, seconds: 20, timeout: 10, connections: 128, json: null };
  a.url = argv[0];
  for (let i = 1; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === "--method") a.method = v;
    else if (k === "--json") a.json = v;
    else if (k === "--header") { const j = v.indexOf(": "); a.headers[v.slice(0, j)] = v.slice(j + 2); }
    else if (k === "--rate") a.rate = Number(v);
    else if (k === "--seconds") a.seconds = Number(v);
    else if (k === "--timeout") a.timeout = Number(v);
    else if (k === "--connections") a.connections = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return Math.round(sorted[idx] * 100) / 100;
}

const a = parse(process.argv.slice(2));
const url = new URL(a.url);
const body = a.json ? Buffer.from(a.json) : null;
const headers = { ...a.headers };
if (body) { headers["content-type"] = "application/json"; headers["content-length"] = body.length; }
const agent = new http.Agent({ keepAlive: true, maxSockets: a.connections, maxFreeSockets: a.connections });
const n = Math.max(1, Math.floor(a.rate * a.seconds));
const latency = new Float64Array(n).fill(NaN);
const status = new Int32Array(n);  // 0 open, >0 HTTP status, -1 timed out, -2 connection error
let done = 0;
let sent = 0;
const now = () => Number(process.hrtime.bigint()) / 1e6;  // ms
const start = now() + 100;
let sentBy = 0;

function finish(i, code) {
  if (status[i] !== 0) return;
  status[i] = code;
  latency[i] = now() - (start + (i * 1000) / a.rate);
  done += 1;
}

function fire(i) {
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: a.method,
    headers, agent }, (res) => {
    res.on("data", () => {});
    res.on("end", () => finish(i, res.statusCode));
  });
  req.on("error", () => finish(i, -2));
  if (body) req.write(body);
  req.end();
}

function tick() {
  const t = now();
  while (sent < n && start + (sent * 1000) / a.rate <= t) { fire(sent); sent += 1; }
  if (sent < n) {
    const next = start + (sent * 1000) / a.rate - now();
    if (next > 1) setTimeout(tick, next - 1); else setImmediate(tick);
  } else {
    sentBy = now() - start;
    const deadline = setTimeout(report, Math.max(1000, a.seconds * 1000 + a.timeout * 1000 - sentBy));
    const poll = setInterval(() => { if (done >= n) { clearTimeout(deadline); clearInterval(poll); report(); } }, 20);
  }
}

function report() {
  const wall = (now() - start) / 1000;
  for (let i = 0; i < n; i++) if (status[i] === 0) status[i] = -1;
  // a request answered after its time-out counts as timed out, as in load.py
  for (let i = 0; i < n; i++) if (status[i] > 0 && latency[i] > a.timeout * 1000) status[i] = -1;
  const ok = [], answered = [];
  let n503 = 0, timeouts = 0, errors = 0;
  for (let i = 0; i < n; i++) {
    const s = status[i];
    if (s === 200) ok.push(latency[i]);
    if (s > 0) answered.push(latency[i]);
    if (s === 503) n503 += 1;
    else if (s === -1) timeouts += 1;
    else if (s === -2 || (s > 0 && s !== 200)) errors += 1;
  }
  ok.sort((x, y) => x - y);
  answered.sort((x, y) => x - y);
  const out = { offered_rate: a.rate, seconds: a.seconds, requests: n,
    offered_achieved: Math.round((n / (sentBy / 1000)) * 10) / 10,
    achieved_rate: Math.round((ok.length / wall) * 10) / 10, ok: ok.length, status_503: n503, timeouts, errors,
    p50_ms: percentile(ok, 50), p99_ms: percentile(ok, 99), max_ms: percentile(ok, 100),
    all_answers_p99_ms: percentile(answered, 99), load_avg_after: Math.round(os.loadavg()[0] * 100) / 100,
    generator: "node" };
  process.stdout.write(JSON.stringify(out) + "\n");
  agent.destroy();
  process.exit(0);
}

tick();

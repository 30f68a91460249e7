// The old backend's situation, through the gateway and direct: a provider with 300 ms latency that answers 429
// above 5 concurrent requests, and 100 concurrent users making 10 requests each. Reports success rate, p50/p99
// latency and throughput as a fraction of the provider's limit (5 / 0.3 s = 16.7 req/s).
//
//   mvn -B package -DskipTests && node bench/ai-limiter.mjs [--users 100] [--requests 10] [--latency-ms 300]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const users = Number(args.users ?? 100);
const perUser = Number(args.requests ?? 10);
const latencyMs = Number(args['latency-ms'] ?? 300);
const providerLimit = 5;
const limitRate = providerLimit / (latencyMs / 1000);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let inFlight = 0;
let maxInFlight = 0;
const provider = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (inFlight >= providerLimit) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"message":"Rate limit reached","type":"requests"}}');
      return;
    }
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"choices":[{"message":{"role":"assistant","content":"ok"}}]}');
    }, latencyMs);
  });
});
await new Promise((ok) => provider.listen(0, '127.0.0.1', ok));
const providerUrl = `http://127.0.0.1:${provider.address().port}`;

const gatewayPort = await new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => ok(port)); });
});
const config = join(mkdtempSync(join(tmpdir(), 'ai-bench-')), 'gateway.yml');
writeFileSync(config, `
server: {listen: "127.0.0.1:${gatewayPort}"}
upstreams:
  openai: {url: "${providerUrl}", response_timeout: 60s}
limiters:
  ai: {max_concurrent: ${providerLimit}, max_queue: ${users * 2}, queue_timeout: 120s, pause_on_429: true}
routes:
  - {path: /openai/, upstream: openai, limiter: ai}
`);
const gateway = spawn('java', ['-Xmx512m', '-jar', join(root, 'gateway/target/gateway.jar'), 'run', '-c', config],
  { stdio: ['ignore', 'ignore', 'inherit'] });
for (let ready = false; !ready;) {
  ready = await fetch(`http://127.0.0.1:${gatewayPort}/health/ready`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((ok) => setTimeout(ok, 100));
}

async function run(name, url) {
  const latencies = [];
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  let done = 0;
  const progress = setInterval(() => process.stderr.write(`\r${name}: ${done}/${users * perUser}`), 1000);
  await Promise.all(Array.from({ length: users }, async () => {
    for (let i = 0; i < perUser; i++) {
      const t = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' }).catch(() => null);
      if (res) await res.arrayBuffer();
      if (res?.status === 200) { ok++; latencies.push(performance.now() - t); } else failed++;
      done++;
    }
  }));
  clearInterval(progress);
  process.stderr.write('\n');
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN);
  return { name, success: ok / (ok + failed), p50: pct(0.5), p99: pct(0.99), rps: ok / seconds,
           ofLimit: ok / seconds / limitRate, seconds };
}

try {
  maxInFlight = 0;
  const direct = await run('direct', `${providerUrl}/v1/chat/completions`);
  maxInFlight = 0;
  const viaGateway = await run('gateway', `http://127.0.0.1:${gatewayPort}/openai/v1/chat/completions`);
  const providerMaxViaGateway = maxInFlight;
  console.log(`ai-limiter: ${users} users x ${perUser} requests, provider ${latencyMs} ms, 429 above ${providerLimit}` +
    ` concurrent (limit ${limitRate.toFixed(1)} req/s)`);
  console.log('setup       success    p50_ms    p99_ms   ok_rps  of_limit');
  for (const r of [direct, viaGateway]) {
    console.log(`${r.name.padEnd(10)} ${(100 * r.success).toFixed(1).padStart(7)}% ${r.p50.toFixed(0).padStart(9)}` +
      ` ${r.p99.toFixed(0).padStart(9)} ${r.rps.toFixed(1).padStart(8)} ${(100 * r.ofLimit).toFixed(1).padStart(8)}%`);
  }
  console.log(`provider max concurrent via gateway: ${providerMaxViaGateway}`);
} finally {
  gateway.kill('SIGTERM');
  provider.close();
}

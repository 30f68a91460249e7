// Time to the first chunk of a server-sent event stream, straight to the upstream and through the gateway, on the
// same warm keep-alive connections, alternating so both see the same machine. The upstream (Node.js) sends the
// first event at once, then the rest 5 ms apart. Target of issue 9: through the gateway within 2 ms of direct.
//
//   mvn -B package -DskipTests && node bench/sse-ttfb.mjs [--streams 500] [--warmup 3000]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const streams = option('--streams', 500);
const warmup = option('--warmup', 3000);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const freePort = () => new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => ok(p)); });
});

const upstream = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write('data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n');
  let n = 0;
  const timer = setInterval(() => {
    if (++n === 3) {
      res.end('data: [DONE]\n\n');
      clearInterval(timer);
    } else {
      res.write('data: {"choices":[{"delta":{"content":"lo"}}]}\n\n');
    }
  }, 5);
});
await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
const upstreamPort = upstream.address().port;

const port = await freePort();
const config = join(mkdtempSync(join(tmpdir(), 'sse-bench-')), 'gateway.yml');
writeFileSync(config, `
server: {listen: "127.0.0.1:${port}"}
upstreams:
  openai: {url: "http://127.0.0.1:${upstreamPort}"}
limiters:
  ai: {max_concurrent: 5}
routes:
  - {path: /openai/, upstream: openai${process.env.NO_LIMITER ? "" : ", limiter: ai"}}
`);
const javaOpts = (process.env.JAVA_OPTS || '-XX:+UseG1GC -Xms256m -Xmx256m -XX:MaxDirectMemorySize=128m').split(' ');
const gateway = spawn('java', [...javaOpts, '-jar', join(root, 'gateway/target/gateway.jar'), 'run', '-c', config],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GATEWAY_ACCESS_LOG: 'OFF' } });
for (let ready = false; !ready;) {
  ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((ok) => setTimeout(ok, 20));
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
// one stream: milliseconds from sending the request to its first body chunk; the stream is read to its end
const ttfb = (p, path) => new Promise((ok, fail) => {
  const started = process.hrtime.bigint();
  let first = null;
  const req = request({ host: '127.0.0.1', port: p, path, method: process.env.SSE_METHOD || 'POST', agent,
    headers: { 'content-type': 'application/json' } }, (res) => {
    res.on('data', () => { first ??= Number(process.hrtime.bigint() - started) / 1e6; });
    res.on('end', () => (first === null ? fail(new Error(`${p}${path}: ${res.statusCode} with no body`)) : ok(first)));
  });
  req.on('error', fail);
  req.end(process.env.SSE_METHOD === 'GET' ? undefined : '{"model":"m","stream":true,"messages":[]}');
});

const direct = [];
const through = [];
for (let i = 0; i < streams + warmup; i++) {
  const d = await ttfb(upstreamPort, '/v1/chat/completions');
  const g = await ttfb(port, '/openai/v1/chat/completions');
  if (i >= warmup) { // the first ones warm up the JIT and the connections
    direct.push(d);
    through.push(g);
  }
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(`sse-ttfb: ${streams} streams each way, alternating, keep-alive; JAVA_OPTS="${javaOpts.join(' ')}"`);
console.log('setup      p50_ms  p90_ms  p99_ms');
for (const [name, xs] of [['direct', direct], ['gateway', through]]) {
  console.log(`${name.padEnd(9)} ${q(xs, 0.5).toFixed(3).padStart(7)} ${q(xs, 0.9).toFixed(3).padStart(7)} ${q(xs, 0.99).toFixed(3).padStart(7)}`);
}
const added = q(through, 0.5) - q(direct, 0.5);
console.log(`added by the gateway: p50 ${added.toFixed(3)} ms, p99 ${(q(through, 0.99) - q(direct, 0.99)).toFixed(3)} ms` +
  ` (target: within 2 ms) ${added <= 2 ? 'MET' : 'NOT MET'}`);
agent.destroy();
gateway.kill('SIGTERM');
upstream.close();

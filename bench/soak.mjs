// Soak: 100 concurrent keep-alive clients with churn (each opens a new connection every 50 requests) against the
// gateway for --minutes (default 10). Traffic: proxied answers, cached answers, an AI-limited route, and 1 % of
// requests to an endpoint that fails on purpose (503, injected). Every 10 s it samples the gateway's RSS (/proc)
// and heap (jstat), into a CSV, and plots both with gnuplot into a PNG. It passes when RSS after warm-up (the first
// two minutes) grows less than 5 % and no error appears other than the injected ones.
//
//   mvn -B package -DskipTests && node bench/soak.mjs [--minutes 10] [--out bench/results/soak]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : fallback; };
const minutes = Number(arg('minutes', 10));
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = arg('out', join(root, 'bench/results/soak'));
mkdirSync(dirname(out), { recursive: true });

const body = JSON.stringify({ data: 'x'.repeat(1000) });
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/fail')) { res.writeHead(503, { 'content-type': 'text/plain' }); res.end('injected'); return; }
    const delay = req.url.startsWith('/ai') ? 20 : 0;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=5' });
      res.end(body);
    }, delay);
  });
});
await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
const port = await new Promise((ok) => { const p = createServer(); p.listen(0, '127.0.0.1', () => { const n = p.address().port; p.close(() => ok(n)); }); });
const config = join(mkdtempSync(join(tmpdir(), 'soak-')), 'gateway.yml');
writeFileSync(config, `
server: {listen: "127.0.0.1:${port}"}
upstreams:
  # the injected 1 % of 503s are answers to pass on, not an outage: they must not trip the breaker
  food: {url: "http://127.0.0.1:${upstream.address().port}", retries: 0, circuit_breaker: {failure_threshold: 100}}
limiters:
  ai: {max_concurrent: 10, max_queue: 500, queue_timeout: 30s}
cache: {max_size: 16MiB}
routes:
  - {path: /food/, upstream: food}
  - {path: /cached/, upstream: food, cache: {ttl: 5s}}
  - {path: /ai/, upstream: food, limiter: ai}
`);
const gateway = spawn('java', ['-Xms256m', '-Xmx256m', '-XX:MaxDirectMemorySize=128m', '-jar',
  join(root, 'gateway/target/gateway.jar'), 'run', '-c', config], { stdio: ['ignore', 'ignore', 'inherit'] });
for (let ready = false; !ready;) {
  ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((ok) => setTimeout(ok, 100));
}

const counts = { ok: 0, injected: 0, errors: 0 };
const errorSamples = [];
const deadline = Date.now() + minutes * 60_000;
function get(agent, path) {
  return new Promise((ok) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = '';
      res.on('data', (c) => { if (res.statusCode !== 200) text += c; });
      res.on('end', () => ok(res.statusCode === 200 || path.startsWith('/food/fail') ? res.statusCode
        : `${res.statusCode} ${text.slice(0, 160)}`));
    });
    req.on('error', (e) => ok(`error ${e.code || e.message}`));
    req.end();
  });
}
async function client(id) {
  let agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let n = 0; Date.now() < deadline; n++) {
    if (n % 50 === 49) { agent.destroy(); agent = new Agent({ keepAlive: true, maxSockets: 1 }); }
    const roll = Math.random();
    const path = roll < 0.01 ? '/food/fail' : roll < 0.5 ? `/food/search?q=${n % 100}`
      : roll < 0.8 ? `/cached/search?q=${n % 50}` : '/ai/chat';
    const status = await get(agent, path);
    if (status === 200) counts.ok++;
    else if (status === 503 && path.startsWith('/food/fail')) counts.injected++;
    else {
      counts.errors++;
      if (errorSamples.length < 20) errorSamples.push(`${new Date().toISOString()} ${path} -> ${status}`);
    }
  }
  agent.destroy();
}

const samples = [];
const started = Date.now();
const sample = () => {
  const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))[1]) / 1024;
  let heapMiB = NaN;
  try {
    const [head, values] = execFileSync('jstat', ['-gc', String(gateway.pid)], { encoding: 'utf8' }).trim().split('\n');
    const names = head.trim().split(/\s+/); const vals = values.trim().split(/\s+/).map(Number);
    const used = ['S0U', 'S1U', 'EU', 'OU'].reduce((sum, k) => sum + (vals[names.indexOf(k)] || 0), 0);
    heapMiB = used / 1024;
  } catch { /* jstat unavailable */ }
  samples.push({ seconds: Math.round((Date.now() - started) / 1000), rssMiB, heapMiB, ...counts });
  process.stderr.write(`\r${samples.at(-1).seconds}s rss=${rssMiB.toFixed(1)}MiB heap=${heapMiB.toFixed(1)}MiB ok=${counts.ok} errors=${counts.errors}   `);
};
sample();
const timer = setInterval(sample, 10_000);
await Promise.all(Array.from({ length: 100 }, (_, i) => client(i)));
clearInterval(timer);
sample();
process.stderr.write('\n');
gateway.kill('SIGTERM');
upstream.close();

writeFileSync(`${out}.csv`, 'seconds,rss_mib,heap_mib,ok,injected,errors\n'
  + samples.map((s) => [s.seconds, s.rssMiB.toFixed(1), s.heapMiB.toFixed(1), s.ok, s.injected, s.errors].join(',')).join('\n') + '\n');
try {
  execFileSync('gnuplot', ['-e', `set terminal png size 900,500 noenhanced; set output '${out}.png'; set datafile separator ',';`
    + ` set key autotitle columnhead; set xlabel 'seconds'; set ylabel 'MiB'; set yrange [0:*];`
    + ` set title 'gateway soak: RSS and heap, 100 clients with churn';`
    + ` plot '${out}.csv' using 1:2 with lines lw 2, '' using 1:3 with lines lw 2`]);
} catch (e) { console.error(`no plot (gnuplot missing?): ${e.message}`); }

const warm = samples.filter((s) => s.seconds >= Math.min(120, minutes * 60 / 5));
const growth = (warm.at(-1).rssMiB - warm[0].rssMiB) / warm[0].rssMiB;
const total = counts.ok + counts.injected + counts.errors;
console.log(`soak: ${minutes} min, 100 clients with churn, ${total} requests (${(total / (minutes * 60)).toFixed(0)} req/s)`);
console.log(`ok ${counts.ok}, injected 503 ${counts.injected}, other errors ${counts.errors}`);
errorSamples.forEach((e) => console.log(`  error: ${e}`));
console.log(`RSS after warm-up: ${warm[0].rssMiB.toFixed(1)} -> ${warm.at(-1).rssMiB.toFixed(1)} MiB (${(100 * growth).toFixed(1)} %);`
  + ` heap at end ${samples.at(-1).heapMiB.toFixed(1)} MiB`);
const pass = growth < 0.05 && counts.errors === 0;
console.log(`soak: ${pass ? 1 : 0} passed, ${pass ? 0 : 1} failed`);
process.exit(pass ? 0 : 1);

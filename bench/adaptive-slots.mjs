// Adaptive AI slots against a provider whose concurrency limit moves: 100 users for 2 minutes through the gateway,
// the stand-in provider (`gateway stub-upstream --ai-max-concurrent 5 --ai-latency 300ms`) taking 5 at once, then
// 10, then 3, for a third of the time each (changed through its admin path, POST /stub/limit). Two setups, one
// after the other, each with a fresh provider: the limiter fixed at 5 slots, and adaptive {min: 2, max: 32}
// starting at 5. Reports the users' successes, the provider's 429s, and completions as a share of what the provider
// allowed (its limit / its latency, phase by phase). The gateway JVM is warmed for 20 s first.
//
//   mvn -B package -DskipTests && node bench/adaptive-slots.mjs [--users 100] [--phase-seconds 40]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, java, ready, sleep, stopAll } from './lib.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const users = Number(args.users ?? 100);
const phaseSeconds = Number(args['phase-seconds'] ?? 40);
const LIMITS = [5, 10, 3];
const LATENCY_MS = 300;
const body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"a meal plan"}]}';

const stub = async (limit) => {
  const port = await freePort();
  java('stub-upstream', '--host', '127.0.0.1', '--port', String(await freePort()), '--plain-port', String(port),
    '--ai-latency', `${LATENCY_MS}ms`, '--ai-max-concurrent', String(limit));
  await ready(`http://127.0.0.1:${port}/health`);
  return `http://127.0.0.1:${port}`;
};

async function load(name, url, forSeconds, provider) {
  const counts = { ok: 0, other: 0, slots: [] };
  const until = performance.now() + forSeconds * 1000;
  const progress = setInterval(() => process.stderr.write(`\r${name}: ${counts.ok} ok`), 1000);
  const schedule = provider ? (async () => {
    for (let phase = 0; phase < LIMITS.length; phase++) {
      await fetch(`${provider}/stub/limit?max_concurrent=${LIMITS[phase]}`, { method: 'POST' });
      await sleep(phaseSeconds * 1000);
    }
  })() : Promise.resolve();
  await Promise.all(Array.from({ length: users }, async () => {
    while (performance.now() < until) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .catch(() => null);
      if (res) await res.arrayBuffer();
      if (res?.status === 200) counts.ok++;
      else {
        counts.other++;
        await sleep(1000);   // a client backs off a second
      }
    }
  }));
  await schedule;
  clearInterval(progress);
  process.stderr.write('\n');
  return counts;
}

const allowed = LIMITS.reduce((sum, limit) => sum + limit * phaseSeconds * 1000 / LATENCY_MS, 0);
try {
  const gatewayPort = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'adaptive-slots-')), 'gateway.yml');
  const yaml = (provider, limiter) => `
server: {listen: "127.0.0.1:${gatewayPort}"}
upstreams:
  openai: {url: "${provider}", response_timeout: 60s, retries: 0}
limiters:
  ai: {max_concurrent: 5, max_queue: ${users * 2}, queue_timeout: 120s${limiter}}
routes:
  - {path: /openai/, upstream: openai, limiter: ai}
`;
  writeFileSync(config, yaml(await stub(1000), ''));
  java('run', '-c', config);
  await ready(`http://127.0.0.1:${gatewayPort}/health/ready`);
  const route = `http://127.0.0.1:${gatewayPort}/openai/v1/chat/completions`;
  process.stderr.write('warming the JVM for 20 s\n');
  await load('warm-up', route, 20, null);
  const results = [];
  for (const [name, limiter] of [['fixed 5', ''], ['adaptive', ', adaptive: {min: 2, max: 32}']]) {
    const provider = await stub(LIMITS[0]);
    writeFileSync(config, yaml(provider, limiter));
    const reload = await fetch(`http://127.0.0.1:${gatewayPort}/admin/reload`, { method: 'POST' });
    if (!reload.ok) throw new Error(`reload refused: ${await reload.text()}`);
    const counts = await load(name, route, phaseSeconds * LIMITS.length, provider);
    const state = await (await fetch(`${provider}/stub`)).json();
    results.push({ name, ...counts, providerServed: state.ai_served, provider429: state.ai_rejected });
  }
  console.log(`adaptive-slots: ${users} users, provider limit ${LIMITS.join(' -> ')} every ${phaseSeconds} s, ` +
    `${LATENCY_MS} ms a completion (${Math.round(allowed)} completions allowed)`);
  console.log('setup       users_ok  users_other  provider_429  429_per_request  share_of_allowed');
  for (const r of results) {
    const requests = r.providerServed + r.provider429;
    console.log(`${r.name.padEnd(10)} ${String(r.ok).padStart(9)} ${String(r.other).padStart(12)}` +
      ` ${String(r.provider429).padStart(13)} ${(100 * r.provider429 / requests).toFixed(2).padStart(15)}%` +
      ` ${(100 * r.providerServed / allowed).toFixed(1).padStart(16)}%`);
  }
} finally {
  stopAll();
}

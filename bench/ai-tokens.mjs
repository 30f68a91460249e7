// A provider's tokens-per-minute limit below the offered load, direct and through the gateway: two stand-in
// providers (`gateway stub-upstream --tpm`, one for each setup, so neither uses the other's minute), 100 users
// sending chat completions for a minute and more. Direct, the provider answers 429 to what is over its limit.
// Through the gateway (an AI route behind the limiter, `token_limit` equal to the provider's TPM), requests wait
// for their tokens instead. Reports the provider's 429s, success, and the tokens used in the first minute as a
// share of the limit. The JVMs are warmed for 20 s first.
//
//   mvn -B package -DskipTests && node bench/ai-tokens.mjs [--users 100] [--tpm 3000] [--seconds 75]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, java, ready, sleep, stopAll } from './lib.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) =>
  (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const users = Number(args.users ?? 100);
const tpm = Number(args.tpm ?? 3000);
const seconds = Number(args.seconds ?? 75);
const TOKENS_PER_ANSWER = 15;   // the stub's usage: 9 prompt, 6 completion
const body = '{"model":"gpt-4o-mini","max_tokens":6,"messages":[{"role":"user","content":"a meal plan"}]}';

const stub = async (limit) => {
  const port = await freePort();
  java('stub-upstream', '--host', '127.0.0.1', '--port', String(await freePort()), '--plain-port', String(port),
    '--ai-latency', '300ms', '--ai-max-concurrent', '1000', '--tpm', String(limit));
  await ready(`http://127.0.0.1:${port}/health`);
  return `http://127.0.0.1:${port}`;
};

async function load(name, url, forSeconds) {
  const counts = { ok: 0, provider429: 0, gateway429: 0, other: 0, firstMinuteOk: 0 };
  const started = performance.now();
  const until = started + forSeconds * 1000;
  const progress = setInterval(() => process.stderr.write(`\r${name}: ${counts.ok} ok`), 1000);
  await Promise.all(Array.from({ length: users }, async () => {
    while (performance.now() < until) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .catch(() => null);
      const text = res ? await res.text() : '';
      if (res?.status === 200) {
        counts.ok++;
        if (performance.now() - started < 60_000) counts.firstMinuteOk++;
      } else if (res?.status === 429 && text.includes('"type":"tokens"')) counts.provider429++;
      else if (res?.status === 429) counts.gateway429++;
      else counts.other++;
      if (res?.status !== 200) await sleep(1000);   // a client backs off a second
    }
  }));
  clearInterval(progress);
  process.stderr.write('\n');
  return { name, ...counts, share: counts.firstMinuteOk * TOKENS_PER_ANSWER / tpm };
}

try {
  const directUrl = await stub(tpm);
  const gatewayStubUrl = await stub(tpm);
  const warmStub = await stub(1_000_000_000);
  const gatewayPort = await freePort();
  const config = join(mkdtempSync(join(tmpdir(), 'ai-tokens-')), 'gateway.yml');
  const yaml = (provider, warm) => `
server: {listen: "127.0.0.1:${gatewayPort}"}
upstreams:
  openai: {url: "${provider}", response_timeout: 60s, retries: 0, token_limit: {tokens: ${warm ? 1000000000 : tpm}, per: 1m}}
limiters:
  ai: {max_concurrent: 50, max_queue: ${users * 2}, queue_timeout: 120s}
routes:
  - {path: /openai/, upstream: openai, limiter: ai, ai: true}
`;
  writeFileSync(config, yaml(warmStub, true));
  java('run', '-c', config);
  await ready(`http://127.0.0.1:${gatewayPort}/health/ready`);
  process.stderr.write('warming the JVMs for 20 s\n');
  await load('warm-up', `http://127.0.0.1:${gatewayPort}/openai/v1/chat/completions`, 20);
  writeFileSync(config, yaml(gatewayStubUrl, false));
  // the same JVM, warm, now in front of its own provider with the real limit
  const reload = await fetch(`http://127.0.0.1:${gatewayPort}/admin/reload`, { method: 'POST' });
  if (!reload.ok) throw new Error(`reload refused: ${await reload.text()}`);
  const direct = await load('direct', `${directUrl}/v1/chat/completions`, seconds);
  const through = await load('gateway', `http://127.0.0.1:${gatewayPort}/openai/v1/chat/completions`, seconds);
  console.log(`ai-tokens: ${users} users for ${seconds} s, provider ${tpm} tokens a minute (${TOKENS_PER_ANSWER} per ` +
    `answer, ${tpm / TOKENS_PER_ANSWER} answers a minute)`);
  console.log('setup      ok   provider_429  gateway_429  other  tpm_share_first_minute');
  for (const r of [direct, through]) {
    console.log(`${r.name.padEnd(8)} ${String(r.ok).padStart(5)} ${String(r.provider429).padStart(13)}` +
      ` ${String(r.gateway429).padStart(12)} ${String(r.other).padStart(6)} ${(100 * r.share).toFixed(1).padStart(12)}%`);
  }
} finally {
  stopAll();
}

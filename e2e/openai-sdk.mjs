// End-to-end: the official OpenAI Node SDK talks to a stand-in OpenAI upstream, once directly and once through
// the gateway jar (a real process, started here). Both answers, plain and streamed, must be equal, and the
// gateway must inject the API key from its environment. Run from the repository root after `mvn package`:
//   node e2e/openai-sdk.mjs
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const jar = join(root, 'gateway', 'target', 'gateway.jar');
const KEY = 'sk-e2e-secret';

if (!existsSync(join(here, 'node_modules', 'openai'))) {
  console.log('e2e: installing the openai package with npm');
  execSync('npm install --no-audit --no-fund --loglevel=error', { cwd: here, stdio: 'inherit' });
}
const { default: OpenAI } = await import('openai');
assert.ok(existsSync(jar), `${jar} is missing: run mvn package first`);

// The stand-in upstream: deterministic answers, 401 without the right key, SSE with gaps between chunks.
const seen = [];
const upstream = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push({ url: req.url, authorization: req.headers.authorization, via: req.headers.via });
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'bad key', type: 'invalid_request_error', code: 401 } }));
      return;
    }
    const request = JSON.parse(body);
    const words = `echo: ${request.messages.map((m) => m.content).join(' ')}`.split(' ');
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        id: 'chatcmpl-e2e', object: 'chat.completion', created: 1700000000, model: request.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: words.join(' ') } }],
        usage: { prompt_tokens: 3, completion_tokens: words.length, total_tokens: 3 + words.length },
      }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // as OpenAI does: with include_usage every chunk carries usage: null, and a last chunk has only the usage
    const withUsage = request.stream_options?.include_usage === true;
    const usage = withUsage ? { usage: null } : {};
    let i = 0;
    const next = () => {
      if (i < words.length) {
        const delta = { content: (i ? ' ' : '') + words[i++] };
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-e2e', object: 'chat.completion.chunk',
          created: 1700000000, model: request.model, choices: [{ index: 0, delta, finish_reason: null }],
          ...usage })}\n\n`);
        setTimeout(next, 20);
      } else {
        if (withUsage) {
          res.write(`data: ${JSON.stringify({ id: 'chatcmpl-e2e', object: 'chat.completion.chunk',
            created: 1700000000, model: request.model, choices: [],
            usage: { prompt_tokens: 3, completion_tokens: words.length, total_tokens: 3 + words.length } })}\n\n`);
        }
        res.write('data: [DONE]\n\n');
        res.end();
      }
    };
    next();
  });
});
await new Promise((ok) => upstream.listen(0, '127.0.0.1', ok));
const upstreamPort = upstream.address().port;

const freePort = await new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => ok(port)); });
});

const dir = mkdtempSync(join(tmpdir(), 'gateway-e2e-'));
const config = join(dir, 'gateway.yml');
const configText = `
server:
  listen: 127.0.0.1:8080
  shutdown_timeout: 5s
upstreams:
  openai:
    url: http://127.0.0.1:${upstreamPort}
    response_timeout: 10s
    headers:
      Authorization: Bearer \${OPENAI_API_KEY}
routes:
  - path: /openai/
    upstream: openai
    ai: true
`;
writeFileSync(config, configText);

let log = '';
const gateway = spawn('java', ['-jar', jar, 'run', '-c', config], {
  env: { ...process.env, OPENAI_API_KEY: KEY, GATEWAY_PORT: String(freePort) },
});
gateway.stdout.on('data', (d) => (log += d));
gateway.stderr.on('data', (d) => (log += d));
const exited = new Promise((ok) => gateway.on('exit', (code, signal) => ok({ code, signal })));

try {
  const gatewayUrl = `http://127.0.0.1:${freePort}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${gatewayUrl}/health/ready`)).ok) break;
    } catch { /* not listening yet */ }
    assert.ok(Date.now() < deadline, `gateway did not become ready:\n${log}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }

  const direct = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${upstreamPort}/v1`, maxRetries: 0 });
  const viaGateway = new OpenAI({ apiKey: 'not-the-key', baseURL: `${gatewayUrl}/openai/v1`, maxRetries: 0 });
  const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello through the gateway' }] };

  const a = await direct.chat.completions.create(ask);
  const b = await viaGateway.chat.completions.create(ask);
  assert.deepEqual(b, a, 'a chat completion through the gateway equals the direct one');
  console.log(`e2e: chat completion equal: "${b.choices[0].message.content}"`);

  const collect = async (client, extra = {}) => {
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ ...ask, stream: true, ...extra })) {
      chunks.push(chunk);
    }
    return chunks;
  };
  // the route is ai: true, so the gateway asks for the usage chunk itself and takes it out again
  const streamedDirect = await collect(direct);
  const streamedGateway = await collect(viaGateway);
  assert.ok(streamedGateway.length > 3, 'several chunks arrive');
  assert.deepEqual(streamedGateway, streamedDirect, 'a streamed completion through the gateway equals the direct one');
  console.log(`e2e: streamed completion equal: ${streamedGateway.length} chunks`);
  const askedUsage = { stream_options: { include_usage: true } };
  const usageDirect = await collect(direct, askedUsage);
  const usageGateway = await collect(viaGateway, askedUsage);
  assert.deepEqual(usageGateway, usageDirect, 'a stream that asked for usage gets it, as it would direct');
  assert.deepEqual(usageGateway.at(-1).choices, [], 'its last chunk is the usage-only one');
  assert.ok(log.includes('"prompt_tokens":3'), `the access log books the provider's usage:\n${log}`);
  console.log('e2e: usage counted; the client saw the stream it asked for');

  const proxied = seen.filter((s) => s.via);
  assert.equal(proxied.length, 3, 'three requests came through the gateway');
  assert.ok(proxied.every((s) => s.url === '/v1/chat/completions'), 'prefix stripped');
  assert.ok(log.includes('"route":"/openai/"'), `the access log has a line per request:\n${log}`);

  // SIGHUP re-reads the file: a limiter appears without a restart
  writeFileSync(config, configText.replace('routes:', 'limiters:\n  ai: {max_concurrent: 3}\nroutes:')
    .replace('upstream: openai\n', 'upstream: openai\n    limiter: ai\n'));
  gateway.kill('SIGHUP');
  const reloadDeadline = Date.now() + 10_000;
  for (;;) {
    const report = await (await fetch(`${gatewayUrl}/health/performance`)).json();
    if (report.limiters.ai?.max_concurrent === 3) break;
    assert.ok(Date.now() < reloadDeadline, `SIGHUP did not reload the config:\n${log}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.deepEqual(await viaGateway.chat.completions.create(ask), a, 'the reloaded route still answers');
  console.log('e2e: SIGHUP reloaded the config');
  assert.ok(!log.includes(KEY), 'the API key never appears in the gateway log');
} finally {
  gateway.kill('SIGTERM');
  const { code, signal } = await exited;
  upstream.close();
  assert.ok(log.includes('Gateway stopped'), `SIGTERM drained and stopped the gateway:\n${log}`);
  console.log(`e2e: gateway stopped on SIGTERM (exit ${code ?? signal})`);
}
console.log('e2e: 1 passed, 0 failed');

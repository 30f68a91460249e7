// End-to-end: WebSocket sessions through the gateway jar (a real process, started here) with clients nobody here
// wrote: the `ws` package and the official OpenAI Node SDK's Realtime client, against the stand-in upstream's
// /v1/realtime (the same jar's `stub-upstream`). The events through the gateway must equal the direct ones, the
// gateway must inject the API key, pass pings and close codes, count the tokens of response.done, and say going
// away (1001) to an open session on SIGTERM. Run from the repository root after `mvn package`:
//   node e2e/realtime.mjs
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const jar = join(here, '..', 'gateway', 'target', 'gateway.jar');
const KEY = 'sk-e2e-realtime-secret';
const MODEL = 'gpt-4o-realtime-preview';

if (!existsSync(join(here, 'node_modules', 'ws')) || !existsSync(join(here, 'node_modules', 'openai'))) {
  console.log('e2e: installing the ws and openai packages with npm');
  execSync('npm install --no-audit --no-fund --loglevel=error', { cwd: here, stdio: 'inherit' });
}
const { default: WebSocket } = await import('ws');
const { default: OpenAI } = await import('openai');
const { OpenAIRealtimeWS } = await import('openai/beta/realtime/ws');
assert.ok(existsSync(jar), `${jar} is missing: run mvn package first`);

const freePort = () => new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => ok(port)); });
});
const [stubTls, stubPlain, gatewayPort] = [await freePort(), await freePort(), await freePort()];
const until = async (what, check, log) => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if (await check()) return;
    } catch { /* not there yet */ }
    assert.ok(Date.now() < deadline, `${what} did not happen:\n${log()}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
};
const start = (args, env) => {
  const child = { log: '' };
  child.process = spawn('java', ['-jar', jar, ...args], { env: { ...process.env, ...env } });
  child.process.stdout.on('data', (d) => (child.log += d));
  child.process.stderr.on('data', (d) => (child.log += d));
  child.exited = new Promise((ok) => child.process.on('exit', (code, signal) => ok({ code, signal })));
  return child;
};

const stub = start(['stub-upstream', '--host', '127.0.0.1', '--port', String(stubTls), '--plain-port',
  String(stubPlain)], {});
const dir = mkdtempSync(join(tmpdir(), 'gateway-e2e-realtime-'));
const config = join(dir, 'gateway.yml');
writeFileSync(config, `
server:
  listen: 127.0.0.1:${gatewayPort}
  shutdown_timeout: 10s
upstreams:
  openai:
    url: http://127.0.0.1:${stubPlain}/v1
    headers:
      Authorization: Bearer \${OPENAI_API_KEY}
routes:
  - path: /realtime/
    upstream: openai
    websocket: true
    max_message_size: 1MiB
    idle_timeout: 1m
    max_session: 10m
`);
const gateway = start(['run', '-c', config], { OPENAI_API_KEY: KEY });
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

// a scripted conversation with the ws package: every event it received, in order
const converse = (url, headers) => new Promise((ok, fail) => {
  const socket = new WebSocket(url, { headers });
  const events = [];
  let pong = null;
  socket.on('error', fail);
  socket.on('pong', (data) => (pong = data.toString()));
  socket.on('message', (data, binary) => {
    assert.equal(binary, false, 'Realtime events are text');
    const event = JSON.parse(data.toString());
    events.push(event);
    if (event.type === 'session.created') {
      socket.ping('are you there');
      socket.send(JSON.stringify({ type: 'session.update', session: { instructions: 'be brief' } }));
      socket.send(JSON.stringify({ type: 'conversation.item.create', item: { type: 'message', role: 'user',
        content: [{ type: 'input_text', text: 'hello through the gateway' }] } }));
      socket.send(JSON.stringify({ type: 'response.create' }));
    } else if (event.type === 'response.done') {
      socket.close(4321, 'done here');
    }
  });
  socket.on('close', (code, reason) => ok({ events, pong, code, reason: reason.toString() }));
});

try {
  await until('the stand-in listening', async () => (await fetch(`http://127.0.0.1:${stubPlain}/health`)).ok,
    () => stub.log);
  await until('the gateway ready', async () => (await fetch(`${gatewayUrl}/health/ready`)).ok, () => gateway.log);

  const direct = await converse(`ws://127.0.0.1:${stubPlain}/v1/realtime?model=${MODEL}`,
    { Authorization: `Bearer ${KEY}` });
  const through = await converse(`ws://127.0.0.1:${gatewayPort}/realtime/realtime?model=${MODEL}`, {});
  assert.ok(direct.events.length > 8, 'the stand-in spoke');
  assert.deepEqual(through.events, direct.events, 'every event through the gateway equals the direct one');
  assert.equal(through.pong, 'are you there', 'a ping passes and its pong comes back');
  assert.equal(through.code, 4321, 'the close code came back through the gateway');
  assert.equal(through.reason, 'done here');
  const usage = through.events.at(-1).response.usage;
  console.log(`e2e: ws: ${through.events.length} events equal, ping/pong, close 4321; usage ${JSON.stringify(usage)}`);

  // the OpenAI SDK's Realtime client insists on wss://; the sidecar listens in plain TCP, so it is given the
  // connection itself (the ws option createConnection), as a backend next to the gateway would
  const sdk = new OpenAI({ apiKey: 'not-the-key', baseURL: `${gatewayUrl}/realtime`, maxRetries: 0 });
  const rt = new OpenAIRealtimeWS({ model: MODEL, options: { createConnection: (o) => connect(o) } }, sdk);
  const text = await new Promise((ok, fail) => {
    let said = '';
    rt.on('error', fail);
    rt.on('session.created', () => {
      rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user',
        content: [{ type: 'input_text', text: 'hi from the sdk' }] } });
      rt.send({ type: 'response.create' });
    });
    rt.on('response.text.delta', (event) => (said += event.delta));
    rt.on('response.done', (event) => {
      assert.equal(event.response.usage.output_tokens, 5, 'the SDK sees the usage the stand-in reported');
      rt.close();
      ok(said);
    });
  });
  assert.equal(text, 'echo: hi from the sdk');
  console.log(`e2e: OpenAI SDK Realtime client through the gateway: "${text}"`);

  await until('the sessions booked', async () => {
    const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
    return metrics.includes('gateway_websocket_opened_total{route="/realtime/"} 2.0')
      && metrics.includes(`gateway_ai_tokens_total{kind="completion",model="${MODEL}",upstream="openai"} `
        + `${usage.output_tokens + 5}.0`)
      && metrics.includes('gateway_websocket_sessions{route="/realtime/"} 0.0');
  }, () => gateway.log);
  assert.ok(gateway.log.includes('"kind":"websocket"'), `one access-log line per session:\n${gateway.log}`);
  console.log('e2e: sessions and Realtime tokens counted');

  // SIGTERM with a session open: it hears going away
  const goingAway = await new Promise((ok, fail) => {
    const socket = new WebSocket(`ws://127.0.0.1:${gatewayPort}/realtime/realtime?model=${MODEL}`);
    socket.on('error', fail);
    socket.on('message', () => gateway.process.kill('SIGTERM'));
    socket.on('close', (code) => ok(code));
  });
  assert.equal(goingAway, 1001, 'an open session gets close 1001 on SIGTERM');
  const { code, signal } = await gateway.exited;
  assert.ok(gateway.log.includes('Gateway stopped'), `SIGTERM drained and stopped the gateway:\n${gateway.log}`);
  console.log(`e2e: SIGTERM closed the open session with 1001 (gateway exit ${code ?? signal})`);
  assert.ok(!gateway.log.includes(KEY), 'the API key never appears in the gateway log');
} finally {
  gateway.process.kill('SIGTERM');
  stub.process.kill('SIGTERM');
  await Promise.all([gateway.exited, stub.exited]);
}
console.log('e2e: realtime: 1 passed, 0 failed');

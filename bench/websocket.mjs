// The load of bench/websocket: N WebSocket sessions (the `ws` package), each sending a small text message and
// waiting for its echo before the next (closed loop), for a duration; prints one JSON line: round trips, their rate,
// p50 and p99 round-trip time in ms, errors.
//   node bench/websocket.mjs --url ws://127.0.0.1:8080/ws/ --sessions 50 --duration 15 --size 64
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e', 'package.json'));
const WebSocket = require('ws');
const option = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
};
const url = option('url');
const sessions = Number(option('sessions', 50));
const seconds = Number(option('duration', 15));
const message = 'x'.repeat(Number(option('size', 64)));

const samples = [];
let errors = 0;
let running = true;
const session = () => new Promise((done) => {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  let sentAt = 0;
  const send = () => { sentAt = process.hrtime.bigint(); socket.send(message); };
  socket.on('open', send);
  socket.on('message', () => {
    samples.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (running) send(); else socket.close(1000);
  });
  socket.on('error', () => { errors++; done(); });
  socket.on('close', () => done());
});
const started = Date.now();
const all = Array.from({ length: sessions }, session);
await new Promise((ok) => setTimeout(ok, seconds * 1000));
running = false;
const elapsed = (Date.now() - started) / 1000;
await Promise.race([Promise.all(all), new Promise((ok) => setTimeout(ok, 5000))]);
samples.sort((a, b) => a - b);
const at = (q) => samples.length ? samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] : 0;
console.log(JSON.stringify({ round_trips: samples.length, rate: samples.length / elapsed, p50_ms: at(0.5),
  p99_ms: at(0.99), errors }));

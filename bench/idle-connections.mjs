// Holds N idle keep-alive client connections open to the gateway (each has made one request) and reports the
// gateway's resident memory (RSS) before and with them. Also measures startup to ready.
//
//   mvn -B package -DskipTests && node bench/idle-connections.mjs [--connections 1000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--connections') + 1] || 1000);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const port = await new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const p = probe.address().port; probe.close(() => ok(p)); });
});
const config = join(mkdtempSync(join(tmpdir(), 'idle-bench-')), 'gateway.yml');
writeFileSync(config, `
server: {listen: "127.0.0.1:${port}", idle_timeout: 5m}
upstreams:
  food: {url: "http://127.0.0.1:9"}
routes:
  - {path: /food/, upstream: food}
`);
const javaOpts = (process.env.JAVA_OPTS || '-Xms256m -Xmx256m -XX:MaxDirectMemorySize=128m').split(' ');
const started = performance.now();
const gateway = spawn('java', [...javaOpts, '-jar', join(root, 'gateway/target/gateway.jar'), 'run', '-c', config],
  { stdio: ['ignore', 'ignore', 'inherit'] });
for (let ready = false; !ready;) {
  ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
  if (!ready) await new Promise((ok) => setTimeout(ok, 20));
}
const readyMs = performance.now() - started;
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))[1]) / 1024;
const before = rss();

const sockets = [];
for (let i = 0; i < count; i++) {
  sockets.push(await new Promise((ok, fail) => {
    const s = connect(port, '127.0.0.1', () => s.write('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.once('data', () => ok(s));
    s.once('error', fail);
  }));
  if (i % 100 === 99) process.stderr.write(`\ropened ${i + 1}/${count}`);
}
process.stderr.write('\n');
const report = await fetch(`http://127.0.0.1:${port}/health/live`).then((r) => r.status);
const withConnections = rss();
console.log(`idle-connections: ${count} idle keep-alive connections, JAVA_OPTS="${javaOpts.join(' ')}"`);
console.log(`startup to ready: ${readyMs.toFixed(0)} ms (JVM start included)`);
console.log(`RSS before: ${before.toFixed(1)} MiB; with ${count} connections: ${withConnections.toFixed(1)} MiB` +
  ` (still serving: ${report})`);
sockets.forEach((s) => s.destroy());
gateway.kill('SIGTERM');

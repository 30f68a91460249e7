// What the node benchmarks share: free ports, the gateway jar's processes (killed at the end), readiness.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jar = join(root, 'gateway/target/gateway.jar');
const children = [];

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

export const freePort = () => new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => ok(port)); });
});

/** `java -jar gateway.jar ...argv`, its output dropped, its errors shown; stopped by stopAll(). */
export const java = (...argv) => {
  const child = spawn('java', ['-Xmx256m', '-jar', jar, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};

/** Waits until `url` answers 2xx. */
export const ready = async (url) => {
  while (!await fetch(url).then((r) => r.ok, () => false)) await sleep(100);
};

export const stopAll = () => {
  for (const child of children) child.kill('SIGTERM');
};

// The public HTTP cache suite (npm http-cache-tests, the tests behind cache-tests.fyi) through the gateway jar.
// The suite's origin runs in this process on 127.0.0.1; the gateway is started here with config/cache-suite.yml
// (its two addresses replaced by free ports) and the suite's client asks it. The run fails when fewer required
// tests pass than the floor. Run from the repository root after `mvn package`:
//   node e2e/cache-suite.mjs [--floor N] [--timeout SEC] [--out FILE] [--gateway-config FILE]
//   node e2e/cache-suite.mjs --base http://127.0.0.1:8080 [--origin-port P]   (another proxy, already running)
// The floor is --floor, else CACHE_SUITE_FLOOR, else FLOOR below.
import { execSync, spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';

// Required tests that must pass: 154 of 165 passed when this was set (bench/README.md); a few left for slow runs.
const FLOOR = 151;
const REQUEST_TIMEOUT_MS = 10_000;
const ORIGIN_ADDRESS = '127.0.0.1:18000';
const GATEWAY_ADDRESS = '127.0.0.1:18010';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const jar = join(root, 'gateway', 'target', 'gateway.jar');
const pkg = join(here, 'node_modules', 'http-cache-tests');
const say = (...args) => process.stdout.write(`${format(...args)}\n`);

const usage = (problem) => {
  if (problem) process.stderr.write(`cache-suite: ${problem}\n`);
  (problem ? process.stderr : process.stdout).write(readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\nimport ')[0].replace(/^\/\/ ?/gm, '') + '\n');
  process.exit(problem ? 2 : 0);
};
const opts = { floor: undefined, timeout: 60, out: undefined, base: undefined, originPort: 0,
  gatewayConfig: join(root, 'config', 'cache-suite.yml') };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  const value = () => (i + 1 < process.argv.length ? process.argv[++i] : usage(`${arg} needs a value`));
  const number = () => { const n = Number(value()); return Number.isFinite(n) && n >= 0 ? n : usage(`${arg}: not a number`); };
  switch (arg) {
    case '--floor': opts.floor = number(); break;
    case '--timeout': opts.timeout = number(); break;
    case '--out': opts.out = resolve(value()); break;
    case '--base': opts.base = value().replace(/\/+$/, ''); break; // the client appends '/test/...'
    case '--origin-port': opts.originPort = number(); break;
    case '--gateway-config': opts.gatewayConfig = resolve(value()); break;
    case '-h': case '--help': usage(); break;
    default: usage(`unknown argument ${arg}`);
  }
}
if (opts.floor === undefined) opts.floor = process.env.CACHE_SUITE_FLOOR ? Number(process.env.CACHE_SUITE_FLOOR) : FLOOR;
if (!Number.isFinite(opts.floor)) usage(`CACHE_SUITE_FLOOR is not a number: ${process.env.CACHE_SUITE_FLOOR}`);

if (!existsSync(join(pkg, 'package.json'))) {
  say('cache-suite: installing the http-cache-tests package with npm');
  execSync('npm install --no-audit --no-fund --loglevel=error', { cwd: here, stdio: 'inherit' });
}
if (!opts.base && !existsSync(jar)) usage(`${jar} is missing: run mvn package first`);

// The suite's own modules, loaded the way its cli.mjs does; node-fetch is the one the package depends on.
const load = async (file) => import(pathToFileURL(join(pkg, file)).href);
const { default: fetch } = await import(pathToFileURL(createRequire(join(pkg, 'package.json')).resolve('node-fetch')).href);
const { runTests, getResults } = await load('client/runner.mjs');
const { default: suites } = await load('tests/index.mjs');
suites.push((await load('tests/surrogate-control.mjs')).default);
const handlers = {
  config: (await load('server/handle-config.mjs')).default,
  test: (await load('server/handle-test.mjs')).default,
  state: (await load('server/handle-state.mjs')).default,
};

// Both halves of the suite print diagnostics with console.log/error ("SERVER WARNING: ..."): into a file instead.
const dir = mkdtempSync(join(tmpdir(), 'cache-suite-'));
const suiteLog = createWriteStream(join(dir, 'suite.log'));
console.log = console.error = console.warn = (...args) => suiteLog.write(`${format(...args)}\n`);

// The origin: the dispatch of the package's server/server.mjs, but on loopback only. Its file branch, which
// serves the browser runner's pages from the working directory, is not needed here and answers 404.
const origin = createServer((req, res) => {
  const segments = new URL(req.url, 'http://origin').pathname.split('/');
  const handle = handlers[segments[1]];
  if (handle) return handle(segments.slice(2), req, res);
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
});
await new Promise((ok, fail) => origin.once('error', fail).listen(opts.originPort, '127.0.0.1', ok));
const originPort = origin.address().port;

const freePort = () => new Promise((ok) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => ok(port)); });
});

let gateway = null;
let exited = null;
const gatewayLog = join(dir, 'gateway.log');
const jarCopy = join(dir, 'gateway.jar');
const readLog = () => (existsSync(gatewayLog) ? readFileSync(gatewayLog, 'utf8') : '');
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { say(`cache-suite: ${signal}, logs kept in ${dir}`); process.exit(130); });
}

const running = () => gateway && gateway.exitCode === null && gateway.signalCode === null;
const stopGateway = async () => {
  if (!running()) return;
  gateway.kill('SIGTERM');
  if (await Promise.race([exited, new Promise((ok) => setTimeout(() => ok(null), 10_000))]) === null) {
    say('cache-suite: the gateway did not stop within 10 s of SIGTERM, killed');
    gateway.kill('SIGKILL');
  }
};
process.on('exit', () => { // never leave a java or a jar behind
  if (running()) gateway.kill('SIGKILL');
  rmSync(jarCopy, { force: true });
});

let code = 1;
let problem = '';
let summary = '';
let base = opts.base;
try {
  if (base) {
    say(`cache-suite: origin on http://127.0.0.1:${originPort}, suite against ${base}`);
  } else {
    const template = readFileSync(opts.gatewayConfig, 'utf8');
    for (const address of [ORIGIN_ADDRESS, GATEWAY_ADDRESS]) {
      if (!template.includes(address)) throw new Error(`${opts.gatewayConfig} does not mention ${address}`);
    }
    const gatewayPort = await freePort();
    const config = join(dir, 'gateway.yml');
    writeFileSync(config, template.split(ORIGIN_ADDRESS).join(`127.0.0.1:${originPort}`)
      .split(GATEWAY_ADDRESS).join(`127.0.0.1:${gatewayPort}`));
    const env = { ...process.env };
    delete env.GATEWAY_PORT; // both would override the file written above
    delete env.GATEWAY_CONFIG;
    // A copy of the jar: a `mvn package` during the run rewrites the original under the running JVM (classes
    // still to be loaded then go missing: NoClassDefFoundError).
    copyFileSync(jar, jarCopy);
    const logFd = openSync(gatewayLog, 'a');
    gateway = spawn('java', ['-jar', jarCopy, 'run', '--config', config], { env, stdio: ['ignore', logFd, logFd] });
    exited = new Promise((ok) => gateway.on('exit', (exitCode, signal) => ok(exitCode ?? signal)));
    base = `http://127.0.0.1:${gatewayPort}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!running()) throw new Error('the gateway exited before it was ready');
      try {
        if ((await fetch(`${base}/health/ready`, { timeout: 1000 })).ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error('the gateway was not ready within 30 s');
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }

  // node-fetch waits forever by default: every request gets a limit, and the whole run gets one too.
  const timedFetch = (url, init = {}) => fetch(url, { ...init, timeout: REQUEST_TIMEOUT_MS });
  const started = Date.now();
  let timer;
  const finished = await Promise.race([
    runTests(suites, timedFetch, false, base).then(() => true),
    new Promise((ok) => { timer = setTimeout(() => ok(false), opts.timeout * 1000); }),
  ]);
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;

  // What the runner ran (it skips browser_only tests), each result true or [kind of error, message].
  const raw = getResults();
  const results = {};
  const tally = { required: [0, 0], optimal: [0, 0], check: [0, 0] };
  const failures = [];
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (test.browser_only === true) continue;
      const result = raw[test.id] ?? ['Timeout', `not finished within ${opts.timeout} s`];
      const kind = test.kind ?? 'required';
      results[test.id] = result;
      tally[kind][1]++;
      if (result === true) tally[kind][0]++;
      else if (kind === 'required') failures.push(`  ${test.id}: ${result[0]}: ${String(result[1]).replace(/\s+/g, ' ').trim().slice(0, 200)}`);
    }
  }
  if (opts.out) writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const passed = tally.required[0];
  code = passed >= opts.floor ? 0 : 1;
  if (code !== 0) problem = `${passed} required tests passed, fewer than the floor ${opts.floor}`;
  if (gateway && !running()) [code, problem] = [1, `the gateway exited during the run (${await exited})`];

  await stopGateway(); // its log is complete once it has exited
  const warnings = gateway ? readLog().split('\n')
    .filter((line) => / WARN |ERROR/.test(line) || line.includes('internal_error') || line.includes('failed:')) : [];
  const crashes = warnings.filter((line) => line.includes('failed inside the gateway'));
  if (crashes.length) [code, problem] = [1, `${crashes.length} requests failed inside the gateway (500 internal_error)`];

  if (failures.length) say(failures.join('\n'));
  if (!finished) say(`cache-suite: the overall timeout of ${opts.timeout} s ran out, ` +
    `${Object.keys(results).length - Object.keys(raw).length} tests unfinished`);
  for (const line of warnings.slice(0, 10)) say(`  gateway log: ${line.slice(0, 300)}`);
  summary = `cache suite: ${passed}/${tally.required[1]} required passed (floor ${opts.floor}), ` +
    `optimal ${tally.optimal.join('/')}, check ${tally.check.join('/')}, ${seconds.toFixed(1)} s` +
    (gateway ? `, ${warnings.length} gateway log warnings` : '');
} catch (error) {
  [code, problem] = [1, error.message];
} finally {
  await stopGateway();
  origin.closeAllConnections();
  origin.close();
  await new Promise((ok) => suiteLog.end(ok));
  if (code !== 0 && gateway) say(`cache-suite: the gateway log's last 40 lines:\n${readLog().trimEnd().split('\n').slice(-40).join('\n')}`);
  if (summary) say(summary);
  if (code !== 0) say(`cache-suite: FAILED: ${problem}; logs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
// Requests still in flight after the overall timeout must not keep the process alive.
process.exit(code);

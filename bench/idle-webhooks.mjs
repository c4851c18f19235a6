// Idle webhooks: 20 workspaces x 50 webhooks with nothing to deliver. Measures the server's CPU over 10 s
// (all its threads, from /proc) and GET /health latency meanwhile, with no webhook and then with all 1,000,
// in one run, so the difference is what idle webhooks cost.
//   npm run bench:idle-webhooks   (= npm run build && node bench/idle-webhooks.mjs [--root DIR] [--seconds 10])
// --root runs another build of the service (a checkout of an older commit, built), for a before/after.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: join(import.meta.dirname, '..') },
    seconds: { type: 'string', default: '10' },
    workspaces: { type: 'string', default: '20' },
    webhooks: { type: 'string', default: '50' },
  },
});
const root = values.root;
const dataDir = mkdtempSync(join(tmpdir(), 'cms-bench-idle-webhooks-'));
const env = {
  ...process.env,
  DATA_DIR: dataDir,
  PORT: '0',
  METRICS_PORT: 'off',
  LOG_LEVEL: 'info', // the "Listening on" line; its output goes to a file
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_ALLOWED_PORTS: 'any',
  WEBHOOKS_PER_WORKSPACE: values.webhooks,
  RATE_LIMIT_PER_KEY: '0',
};

const logFile = join(dataDir, 'server.log');
const log = openSync(logFile, 'w');
const server = spawn(process.execPath, [join(root, 'dist/main.js')], { cwd: root, env, stdio: ['ignore', log, log] });
closeSync(log);
let url;
for (let i = 0; i < 600 && !url; i++) {
  url = /Listening on (http:\/\/[^\s"]+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
  if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
}
if (!url) throw new Error(`no start:\n${readFileSync(logFile, 'utf8')}`);

function cpuSeconds() {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU share of one core over the window, and /health latencies sampled every 50 ms meanwhile. */
async function measure(label) {
  const seconds = Number(values.seconds);
  const before = cpuSeconds();
  const started = performance.now();
  const latencies = [];
  while (performance.now() - started < seconds * 1000) {
    const asked = performance.now();
    const response = await fetch(`${url}/health`);
    await response.text();
    latencies.push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (cpuSeconds() - before) / elapsed;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024;
  console.log(
    `${label}: CPU ${(cpu * 100).toFixed(2)} % of a core over ${elapsed.toFixed(1)} s; /health p50 ` +
      `${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms (${latencies.length} calls); RSS ${rss.toFixed(0)} MiB`,
  );
}

try {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await measure('no webhook');
  const keys = [];
  for (let w = 0; w < Number(values.workspaces); w++) {
    const cli = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'workspace', 'create', '--name', `W${w}`], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    keys.push(JSON.parse(cli.stdout.trim().split('\n').at(-1)).api_key);
  }
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the server takes the CLI's keys within a second
  const createdAt = performance.now();
  for (const key of keys) {
    for (let h = 0; h < Number(values.webhooks); h++) {
      const response = await fetch(`${url}/webhooks/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
      });
      if (response.status !== 200) throw new Error(`webhooks/create: ${response.status} ${await response.text()}`);
    }
  }
  const total = keys.length * Number(values.webhooks);
  console.log(`created ${total} webhooks in ${((performance.now() - createdAt) / 1000).toFixed(1)} s`);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await measure(`${keys.length} workspaces x ${values.webhooks} idle webhooks`);
} finally {
  server.kill('SIGTERM');
}

// Idle webhooks: 20 workspaces x 50 webhooks with nothing to deliver. Measures the server's CPU over 10 s
// of idleness (all its threads, from /proc), then GET /health latency over 10 s, with no webhook and then
// with all 1,000, in one run, so the difference is what idle webhooks cost.
//   npm run bench:idle-webhooks   (= npm run build && node bench/idle-webhooks.mjs [--root DIR] [--seconds 10])
// --root runs another build of the service (a checkout of an older commit, built), for a before/after.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { healthLatencies, quantile, startService } from './support/service-process.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: join(import.meta.dirname, '..') },
    seconds: { type: 'string', default: '10' },
    workspaces: { type: 'string', default: '20' },
    webhooks: { type: 'string', default: '50' },
  },
});
const root = values.root;
const env = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_ALLOWED_PORTS: 'any',
  WEBHOOKS_PER_WORKSPACE: values.webhooks,
  RATE_LIMIT_PER_KEY: '0',
};
const server = await startService(root, env);
const { url } = server;

/**
 * The server's CPU share of one core over a window in which nothing calls it (idle is what is measured:
 * each /health call costs CPU too), then /health latencies sampled every 50 ms over a second window.
 */
async function measure(label) {
  const seconds = Number(values.seconds);
  const before = server.cpuSeconds();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const elapsed = (performance.now() - started) / 1000;
  const cpu = (server.cpuSeconds() - before) / elapsed;
  const latencies = await healthLatencies(url, performance.now() + seconds * 1000);
  console.log(
    `${label}: CPU ${(cpu * 100).toFixed(2)} % of a core over ${elapsed.toFixed(1)} s idle; then /health p50 ` +
      `${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms ` +
      `(${latencies.length} calls over ${seconds} s); RSS ${server.rssMiB().toFixed(0)} MiB`,
  );
}

try {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await measure('no webhook');
  const keys = [];
  for (let w = 0; w < Number(values.workspaces); w++) {
    const cli = spawnSync(process.execPath, [join(root, 'dist/cli.js'), 'workspace', 'create', '--name', `W${w}`], {
      cwd: root,
      env: { ...process.env, ...env, DATA_DIR: server.dataDir },
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
  server.stop();
}

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startService, lastByteClient, quantile } from './support/service-process.mjs';
const root = join(import.meta.dirname, '..');
const dir = process.argv[2];
const nodeArgs = (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean);
const { deterministicId } = await import('../dist/common/deterministic-id.js');
const env = { ...process.env, DATA_DIR: dir, RATE_LIMIT_PER_KEY: '0' };
const issued = execFileSync(process.execPath, [join(root, 'dist/cli.js'), 'api-key', 'create', '--workspace-id', deterministicId('bench-workspace')], { env, encoding: 'utf8' });
const apiKey = JSON.parse(issued.trim().split('\n').at(-1)).api_key;
const server = await startService(root, { DATA_DIR: dir, RATE_LIMIT_PER_KEY: '0', METRICS_PORT: '0' }, nodeArgs);
while ((await fetch(`${server.url}/health`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
const pid = Number(/"pid":(\d+)/.exec(server.output())?.[1]);
const c = lastByteClient(server.url, { authorization: `Bearer ${apiKey}` });
const path = process.env.Q ?? '/devices/list?custom_metadata_match.k0=v8&custom_metadata_match.k1.in=v5&limit=100';
for (let i = 0; i < Number(process.env.WARM ?? 300); i++) await c.get(path);
await new Promise((r) => setTimeout(r, Number(process.env.PAUSE ?? 3000)));
const threads = () => {
  const out = {};
  const p = server.pid ?? pid;
  for (const t of readdirSync(`/proc/${p}/task`)) {
    const stat = readFileSync(`/proc/${p}/task/${t}/stat`, 'utf8');
    const comm = /\((.*)\)/.exec(stat)[1];
    const f = stat.split(') ')[1].split(' ');
    out[`${comm}#${t}`] = (Number(f[11]) + Number(f[12])) / 100;
  }
  return out;
};
const before = threads();
const times = [];
const N = Number(process.env.N ?? 2000);
for (let i = 0; i < N; i++) { const t = performance.now(); await c.get(path); times.push(performance.now() - t); }
const after = threads();
times.sort((a, b) => a - b);
console.log(`p50 ${quantile(times, 0.5).toFixed(2)} p99 ${quantile(times, 0.99).toFixed(2)} max ${times.at(-1).toFixed(2)}; >10ms: ${times.filter((t) => t > 10).length}`);
for (const k of Object.keys(after)) { const d = after[k] - (before[k] ?? 0); if (d > 0) console.log(k, (d * 1000 / N).toFixed(3), 'ms/req'); }
server.stop(); await server.exited(); c.close();

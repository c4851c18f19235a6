// What bench/idle-webhooks.mjs and bench/search.mjs share: a server of this project (or of another build,
// `root`) started on a data directory of its own, its output to a file (a pipe this process read would
// couple it to the load generator), its CPU time and RSS read from /proc, and /health timed meanwhile.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';

/** A process's CPU time so far (user + system, from /proc, in clock ticks of 10 ms), or its main thread's. */
export function cpuSecondsOf(pid, { mainThread = false } = {}) {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function startService(root, env, nodeArgs = [], script = 'dist/main.js') {
  const dataDir = mkdtempSync(join(tmpdir(), 'cms-bench-service-'));
  const logFile = join(dataDir, 'server.log');
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...nodeArgs, join(root, script)], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', METRICS_PORT: 'off', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let url;
  for (let i = 0; i < 600 && !url; i++) {
    url = /Listening on (http:\/\/[^\s"]+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!url) throw new Error(`no start:\n${readFileSync(logFile, 'utf8')}`);
  return {
    url,
    dataDir,
    pid: child.pid,
    sandboxApiKey: () => readFileSync(join(dataDir, 'sandbox-api-key'), 'utf8').trim(),
    /** What it has written so far. */
    output: () => readFileSync(logFile, 'utf8'),
    /** CPU time used so far, all threads (user + system, in clock ticks of 10 ms). */
    cpuSeconds: () => cpuSecondsOf(child.pid),
    /** The same, of the main thread alone: the one that answers HTTP. */
    mainThreadCpuSeconds: () => cpuSecondsOf(child.pid, { mainThread: true }),
    rssMiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    stop: () => child.kill('SIGTERM'),
    /** Resolves once the process has exited (after `stop`, say). */
    exited: () => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve))),
  };
}

/** GET /health every 50 ms until `until` (ms, performance.now()): the latencies, sorted. */
export async function healthLatencies(url, until) {
  const latencies = [];
  while (performance.now() < until) {
    const asked = performance.now();
    await fetch(`${url}/health`).then((response) => response.text());
    latencies.push(performance.now() - asked);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return latencies.sort((a, b) => a - b);
}

/**
 * A client that times an answer to its last byte: one keep-alive connection (node:http), the body read as
 * bytes and not parsed. `fetch` and `response.json()` add the client's own work (about 0.6 ms for a page
 * of 100 devices here) to every figure.
 */
export function lastByteClient(url, headers = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path) =>
    new Promise((resolve, reject) => {
      http
        .get(`${url}${path}`, { agent, headers }, (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            if (response.statusCode !== 200) reject(new Error(`${path}: ${response.statusCode}`));
            else resolve(Buffer.concat(chunks));
          });
        })
        .on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

export const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** `count` connected accounts, each made by completing a Connect Webview in the sandbox: their ids. */
export async function seedConnectedAccounts(url, apiKey, count) {
  const post = async (path, body) =>
    (
      await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json();
  const ids = [];
  for (let i = 0; i < count; i++) {
    const { connect_webview } = await post('/connect_webviews/create', {});
    const done = await post('/connect_webviews/simulate/complete', {
      connect_webview_id: connect_webview.connect_webview_id,
      email: `bench-${i}@example.com`,
    });
    ids.push(done.connect_webview.connected_account_id);
  }
  return ids;
}

/**
 * The write benchmarks' load, as autocannon requests: `POST /connected_accounts/update` over `ids` in turn,
 * each with another metadata value, so that every request is a real change.
 */
export function metadataUpdates(apiKey, ids) {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/connected_accounts/update',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      setupRequest: (request) => {
        n += 1;
        const body = {
          connected_account_id: ids[n % ids.length],
          custom_metadata: { internal_account_id: `user-${n}` },
        };
        return { ...request, body: JSON.stringify(body) };
      },
    },
  ];
}

/**
 * A real server on a store `bench/replay.mjs --keep` generated (one workspace, no usable key): a key issued
 * for it through the CLI, as an operator would, and the server started once its saga has read the log (a
 * store never served has a saga that has not, and its catch-up costs every request meanwhile).
 */
export async function serveBenchStore(root, dataDir) {
  const { deterministicId } = await import('../../dist/common/deterministic-id.js');
  const env = { ...process.env, DATA_DIR: dataDir, RATE_LIMIT_PER_KEY: '0' };
  const issued = execFileSync(
    process.execPath,
    [join(root, 'dist/cli.js'), 'api-key', 'create', '--workspace-id', deterministicId('bench-workspace')],
    { env, encoding: 'utf8' },
  );
  const apiKey = JSON.parse(issued.trim().split('\n').at(-1)).api_key;
  // DATA_DIR names the store: startService's own directory then holds only the server's output.
  const server = await startService(root, { DATA_DIR: dataDir, RATE_LIMIT_PER_KEY: '0', METRICS_PORT: '0' });
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  while ((await fetch(`${server.url}/health`)).status !== 200) await sleep(100);
  const metrics = /Metrics on (http:\/\/\S+?)["\s]/.exec(server.output())[1];
  const caughtUp = (text) => /event_store_consumer_lag_events\{consumer="completion_saga"\} 0\b/.test(text);
  while (!caughtUp(await (await fetch(metrics)).text())) await sleep(500);
  const get = async (path) => {
    const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    server,
    url: server.url,
    apiKey,
    get,
    lastByte: lastByteClient(server.url, { authorization: `Bearer ${apiKey}` }),
  };
}

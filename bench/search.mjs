// Seam's `search` on /connect_webviews/list at 15,000 webviews x 20 metadata keys: read models built by the
// real projections from synthetic events, the real list function timed in this process (p50, p99, per
// query shape), then the whole server under 8 parallel search loops with /health timed meanwhile.
//   npm run bench:search   (= npm run build && node bench/search.mjs [--webviews 15000] [--seconds 10])
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listConnectWebviews } from '../dist/connect-webviews/connect-webview.projection.js';
import { deterministicId } from '../dist/common/deterministic-id.js';
import { syntheticReadModels, WORKSPACE } from './support/synthetic-read-models.mjs';
import { healthLatencies, quantile, startService } from './support/service-process.mjs';

const { values } = parseArgs({
  options: { webviews: { type: 'string', default: '15000' }, seconds: { type: 'string', default: '10' } },
});
const WEBVIEWS = Number(values.webviews);
const RUNS = 300;

function metadataOf(n) {
  return Object.fromEntries(
    Array.from({ length: 20 }, (_, k) => [`key_${k}`, `value-${k}-${n}-${(n * 7919) % 10007}`]),
  );
}

/** The read models of `count` webviews with 20 keys each, in `path`. */
function build(path, count) {
  const { readModels, setMetadata, createWebview } = syntheticReadModels(path);
  readModels.transaction(() => {
    for (let n = 0; n < count; n++) {
      const webview = deterministicId('webview', String(n));
      createWebview(webview, `customer-${n}`);
      setMetadata('connect_webview', webview, metadataOf(n));
    }
  });
  return readModels;
}

const SHAPES = {
  'one match (a metadata value)': `value-3-${Math.floor(WEBVIEWS / 2)}-`,
  'a customer key': `customer-${WEBVIEWS - 7}`,
  'every webview matches (first page of 100)': 'value-19',
  'no match': 'nothing-like-this',
  'two characters (bounded scan, first page)': 'zq',
};

function time(readModels, search) {
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    listConnectWebviews(
      readModels.db,
      WORKSPACE,
      { search },
      { limit: 100, continueAfter: null, paramsHash: '' },
      () => '',
    );
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(RUNS / 2)], p99: ms[Math.floor(RUNS * 0.99)] };
}

const dir = mkdtempSync(join(tmpdir(), 'cms-bench-search-'));
const builtAt = performance.now();
const readModels = build(join(dir, 'read-models.db'), WEBVIEWS);
console.log(`built ${WEBVIEWS} webviews x 20 keys in ${((performance.now() - builtAt) / 1000).toFixed(1)} s`);
for (const [shape, search] of Object.entries(SHAPES)) {
  const { p50, p99 } = time(readModels, search);
  console.log(`list search, ${shape}: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
}
readModels.close();

// The server: the same webviews created through the API, then 8 loops of searches for --seconds, with
// /health asked every 50 ms meanwhile.
const server = await startService(join(import.meta.dirname, '..'), { RATE_LIMIT_PER_KEY: '0' });
const { url } = server;
const key = server.sandboxApiKey();
const post = (path, body) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.text());
async function underLoad(label, searches) {
  const until = performance.now() + Number(values.seconds) * 1000;
  let answered = 0;
  const loops = Array.from({ length: 8 }, async (_, i) => {
    for (let j = i; performance.now() < until; j++) {
      await post('/connect_webviews/list', { search: searches[j % searches.length], limit: 100 });
      answered++;
    }
  });
  const [health] = await Promise.all([healthLatencies(url, until), ...loops]);
  const at = (q) => quantile(health, q).toFixed(2);
  console.log(
    `server, 8 loops of ${label}: ${answered} lists in ${values.seconds} s; /health meanwhile p50 ${at(0.5)} ms, ` +
      `p99 ${at(0.99)} ms (${health.length} calls)`,
  );
}

try {
  const createdAt = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < WEBVIEWS) {
        const n = next++;
        await post('/connect_webviews/create', { customer_key: `customer-${n}`, custom_metadata: metadataOf(n) });
      }
    }),
  );
  console.log(
    `server: created ${WEBVIEWS} webviews through the API in ${((performance.now() - createdAt) / 1000).toFixed(1)} s`,
  );
  // Selective searches (a value, a key, nothing, two characters) as an app finds one resource, then the
  // broad one (every webview matches) whose pages of 100 are mostly the answer's serialisation.
  const { 'every webview matches (first page of 100)': broad, ...selective } = SHAPES;
  await underLoad('selective searches', Object.values(selective));
  await underLoad('a search every webview matches, pages of 100', [broad]);
} finally {
  server.stop();
}

// custom_metadata_has latency on each list route's query, at 1,000 and at 50,000 accounts (100,000 devices):
// read models built by the real projections from synthetic events, then the real list functions timed.
//   npm run build && node bench/list-filters.mjs
import { listConnectWebviews } from '../dist/connect-webviews/connect-webview.projection.js';
import { listConnectedAccounts } from '../dist/connected-accounts/connected-account.projection.js';
import { listDevices } from '../dist/devices/device.projection.js';
import { deterministicId } from '../dist/common/deterministic-id.js';
import { syntheticReadModels, WORKSPACE } from './support/synthetic-read-models.mjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// Building 50,000 accounts leaves ~70 MB of garbage on the heap; collected during the first timed queries,
// one scavenge of it took 41 ms and counted as a query's. It is collected before timing instead.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc');

const RUNS = 500;

function build(accounts) {
  const { readModels, apply, setMetadata: set, createWebview } = syntheticReadModels();
  readModels.transaction(() => {
    for (let n = 0; n < accounts; n++) {
      // `plan` is broad: half of every resource has plan=pro (25,000 accounts and webviews, 50,000 devices at
      // the larger size), the page-order shape issue 27 measured on the 1,000,000-event store.
      const metadata = {
        internal_account_id: `user-${n}`,
        tenant: `t${n % 100}`,
        vip: n % 2 === 0,
        plan: n % 2 === 0 ? 'pro' : 'free',
      };
      const webview = deterministicId('webview', String(n));
      const account = deterministicId('account', String(n));
      createWebview(webview);
      set('connect_webview', webview, metadata);
      apply('ConnectedAccountCreated', {
        connected_account_id: account,
        workspace_id: WORKSPACE,
        provider: 'august',
        user_identifier: { email: `u${n}@example.com` },
        connect_webview_id: webview,
        automatically_manage_new_devices: true,
        accepted_capabilities: ['lock'],
        created_at: '2026-01-01T00:00:00.000Z',
      });
      set('connected_account', account, metadata);
      for (const key of ['front', 'back']) {
        const device = deterministicId('device', account, key);
        apply('DeviceAdded', {
          device_id: device,
          workspace_id: WORKSPACE,
          connected_account_id: account,
          connect_webview_id: webview,
          provider: 'august',
          device_type: 'august_lock',
          name: key,
          model: 'm',
          created_at: '2026-01-01T00:00:00.000Z',
        });
        set('device', device, metadata);
      }
    }
  });
  readModels.db.exec('ANALYZE');
  return readModels;
}

/** The longest single query at each size: how long one request blocks the event loop at worst. */
const longest = { 1000: 0, 50000: 0 };

/**
 * The p50 of RUNS queries at each size, taken in turns (1,000, 50,000, 1,000, ...) after one untimed query
 * of each, so that whatever drifts (the heap, the JIT, the machine) weighs on both sizes alike.
 */
function p50s(query) {
  const times = { 1000: [], 50000: [] };
  for (const size of [1000, 50000]) query(size, 0);
  for (let i = 0; i < RUNS; i++) {
    for (const size of [1000, 50000]) {
      const started = performance.now();
      query(size, i);
      times[size].push(performance.now() - started);
    }
  }
  const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  for (const size of [1000, 50000]) longest[size] = Math.max(longest[size], ...times[size]);
  return [median(times[1000]), median(times[50000])];
}

const page = { limit: 500, continueAfter: null, paramsHash: '' };
const page100 = { limit: 100, continueAfter: null, paramsHash: '' };
const next = () => '';
const databases = {};
for (const accounts of [1_000, 50_000]) {
  const started = performance.now();
  databases[accounts] = build(accounts).db;
  console.log(
    `built ${accounts} accounts, ${accounts * 2} devices in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
collectGarbage();
const one = (size, i) => ({ internal_account_id: `user-${(i * 7919) % size}` });
const several = (size, i) => ({
  internal_account_id: `user-${(i * 7919) % size}`,
  vip: ((i * 7919) % size) % 2 === 0,
});
const shapes = {
  'connect_webviews, one key': (size, i) =>
    listConnectWebviews(databases[size], WORKSPACE, { customMetadataHas: one(size, i) }, page, next),
  'connected_accounts, one key': (size, i) =>
    listConnectedAccounts(databases[size], WORKSPACE, { customMetadataHas: one(size, i) }, page, next),
  'connected_accounts, string and boolean': (size, i) =>
    listConnectedAccounts(databases[size], WORKSPACE, { customMetadataHas: several(size, i) }, page, next),
  'devices, one key': (size, i) =>
    listDevices(databases[size], WORKSPACE, { managed: true, customMetadataHas: one(size, i) }, page, next),
  // A page of 100 of half the workspace: what a page-ordered index makes independent of the matches.
  'devices, plan=pro (half of them match), limit 100': (size) =>
    listDevices(databases[size], WORKSPACE, { managed: true, customMetadataHas: { plan: 'pro' } }, page100, next),
  'connected_accounts, plan=pro (half), limit 100': (size) =>
    listConnectedAccounts(databases[size], WORKSPACE, { customMetadataHas: { plan: 'pro' } }, page100, next),
  'connect_webviews, plan=pro (half), limit 100': (size) =>
    listConnectWebviews(databases[size], WORKSPACE, { customMetadataHas: { plan: 'pro' } }, page100, next),
};
console.log(`Node ${process.version}; p50 over ${RUNS} queries at each size, in turns, each for another user`);
for (const [name, query] of Object.entries(shapes)) {
  const [small, large] = p50s(query);
  console.log(
    `RESULT ${name}: ${small.toFixed(3)} ms at 1,000 accounts, ${large.toFixed(3)} ms at 50,000 (${(large / small).toFixed(2)}x)`,
  );
}
console.log(
  `RESULT list filters, longest single query: ${longest[1000].toFixed(2)} ms at 1,000 accounts, ${longest[50000].toFixed(2)} ms at 50,000`,
);

// custom_metadata_has latency on each list route's query, at 1,000 and at 50,000 accounts (100,000 devices):
// read models built by the real projections from synthetic events, then the real list functions timed.
//   npm run build && node bench/list-filters.mjs
import { applyEvent } from '../dist/read-models/projection.js';
import { ReadModelDatabase } from '../dist/read-models/read-model-database.js';
import { READ_MODEL_SCHEMA } from '../dist/read-model-schema.js';
import { listConnectWebviews } from '../dist/connect-webviews/connect-webview.projection.js';
import { listConnectedAccounts } from '../dist/connected-accounts/connected-account.projection.js';
import { listDevices } from '../dist/devices/device.projection.js';
import { deterministicId } from '../dist/common/deterministic-id.js';

const WORKSPACE = deterministicId('bench-workspace');
const RUNS = 500;

function build(accounts) {
  const readModels = new ReadModelDatabase(':memory:', READ_MODEL_SCHEMA);
  let position = 0;
  const apply = (type, data) => {
    position += 1;
    applyEvent(readModels.db, readModels.projections, {
      id: String(position),
      type,
      data,
      stream: 's',
      revision: 0,
      position,
      metadata: {},
      recordedAt: '2026-01-01T00:00:00.000Z',
    });
  };
  const set = (resource_type, resource_id, custom_metadata) =>
    apply('MetadataSet', {
      resource_type,
      resource_id,
      workspace_id: WORKSPACE,
      custom_metadata,
      previous_custom_metadata: {},
      changes: { added: {}, removed: {}, changed: {} },
      cause: { type: 'created' },
      actor: { type: 'system' },
      occurred_at: '',
    });
  readModels.transaction(() => {
    for (let n = 0; n < accounts; n++) {
      const metadata = { internal_account_id: `user-${n}`, tenant: `t${n % 100}`, vip: n % 2 === 0 };
      const webview = deterministicId('webview', String(n));
      const account = deterministicId('account', String(n));
      apply('ConnectWebviewCreated', {
        connect_webview_id: webview,
        workspace_id: WORKSPACE,
        created_at: '2026-01-01T00:00:00.000Z',
        device_selection_mode: 'none',
        accepted_providers: ['august'],
        any_provider_allowed: false,
        provider_category: null,
        accepted_capabilities: ['lock'],
        custom_redirect_url: null,
        custom_redirect_failure_url: null,
        automatically_manage_new_devices: true,
        wait_for_device_creation: false,
        customer_key: null,
      });
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
let size = 1000;

function p50(run) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    run(i);
    times.push(performance.now() - started);
  }
  longest[size] = Math.max(longest[size], ...times);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const page = { limit: 500, continueAfter: null, paramsHash: '' };
const next = () => '';
const results = {};
for (const accounts of [1_000, 50_000]) {
  size = accounts;
  const started = performance.now();
  const { db } = build(accounts);
  console.log(
    `built ${accounts} accounts, ${accounts * 2} devices in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const one = (i) => ({ internal_account_id: `user-${(i * 7919) % accounts}` });
  const several = (i) => ({
    internal_account_id: `user-${(i * 7919) % accounts}`,
    vip: ((i * 7919) % accounts) % 2 === 0,
  });
  results[accounts] = {
    'connect_webviews, one key': p50((i) =>
      listConnectWebviews(db, WORKSPACE, { customMetadataHas: one(i) }, page, next),
    ),
    'connected_accounts, one key': p50((i) =>
      listConnectedAccounts(db, WORKSPACE, { customMetadataHas: one(i) }, page, next),
    ),
    'connected_accounts, string and boolean': p50((i) =>
      listConnectedAccounts(db, WORKSPACE, { customMetadataHas: several(i) }, page, next),
    ),
    'devices, one key': p50((i) => listDevices(db, WORKSPACE, { customMetadataHas: one(i) }, page, next)),
  };
}
console.log(`Node ${process.version}; p50 over ${RUNS} queries, each for another user`);
for (const name of Object.keys(results[1000])) {
  const [small, large] = [results[1000][name], results[50000][name]];
  console.log(
    `RESULT ${name}: ${small.toFixed(3)} ms at 1,000 accounts, ${large.toFixed(3)} ms at 50,000 (${(large / small).toFixed(2)}x)`,
  );
}
console.log(
  `RESULT list filters, longest single query: ${longest[1000].toFixed(2)} ms at 1,000 accounts, ${longest[50000].toFixed(2)} ms at 50,000`,
);

// What encryption adds to one write, in isolation: sealing a MetadataSet event as the service appends it,
// and opening it as the projector reads it (a cached data key, as on the hot path), 20,000 times, 3 rounds.
//   npm run build && node bench/seal.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../dist/common/config.js';
import { metadataSet } from '../dist/custom-metadata/metadata-set.js';
import { SealedEventStore } from '../dist/encryption/sealed-event-store.js';
import { SqliteEventStore } from '../dist/event-store/sqlite-event-store.js';
import { openDataKeys } from '../dist/runtime.js';
const dir = mkdtempSync(join(tmpdir(), 'sealmb-'));
const keys = openDataKeys(loadConfig({ DATA_DIR: dir }, { stdoutIsTTY: false }));
const store = new SealedEventStore(new SqliteEventStore(join(dir, 'events.db')), keys);
const ws = 'b5a1c6a2-0000-4000-8000-000000000001',
  acc = 'b5a1c6a2-0000-4000-8000-000000000002';
const data = metadataSet(
  { resource_type: 'connected_account', resource_id: acc, workspace_id: ws },
  { internal_account_id: 'user-1', plan: 'basic' },
  { internal_account_id: 'user-1', plan: 'pro-42' },
  { type: 'api_update' },
  { type: 'api_key', api_key_id: 'k' },
  new Date().toISOString(),
).data;
const stream = `connected_account-${acc}`;
const event = (i) => ({
  id: `e${i}`,
  type: 'MetadataSet',
  data,
  metadata: { schema_version: 1, actor: { type: 'api_key', api_key_id: 'k' } },
});
await store.seal(stream, event(0));
for (let round = 0; round < 3; round++) {
  const n = 20000;
  let t = performance.now();
  const sealed = [];
  for (let i = 0; i < n; i++) sealed.push(await store.seal(stream, event(i)));
  const sealUs = ((performance.now() - t) * 1000) / n;
  const recorded = sealed.map((e, i) => ({
    ...e,
    data: JSON.parse(JSON.stringify(e.data)),
    stream,
    revision: i,
    position: i + 1,
    recordedAt: 'x',
  }));
  // Read through the public port, from an inner store that hands over the sealed events (no I/O measured).
  let next = 0;
  const reader = new SealedEventStore({ readAll: async () => recorded.slice(next, (next += 100)) }, keys);
  t = performance.now();
  for (let i = 0; i < n; i += 100) await reader.readAll();
  const openUs = ((performance.now() - t) * 1000) / n;
  console.log(
    `round ${round}: seal ${sealUs.toFixed(1)} µs, open ${openUs.toFixed(1)} µs per MetadataSet event (${JSON.stringify(data).length} bytes of data)`,
  );
}
await store.close();

// Replay benchmark: a log of N events (default 1,000,000) in the shapes the service writes, then the real
// CLI rebuilds the read models from it (`replay --swap`) and verifies a second rebuild (`replay --verify`),
// and last a server started on that log with no read models rebuilds them until /health answers 200.
//   npm run build && node bench/replay.mjs [--events 1000000] [--keep] [--encrypted]
// --encrypted seals every event as the service stores it (src/encryption/, keys in the bench's DATA_DIR);
// without it the log is in clear, as one written before encryption, which reads without decrypting.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deterministicId } from '../dist/common/deterministic-id.js';
import { immediateTransaction, openSqlite } from '../dist/common/sqlite.js';
import { metadataSet } from '../dist/custom-metadata/metadata-set.js';
import { SqliteEventStore } from '../dist/event-store/sqlite-event-store.js';
import { loadConfig } from '../dist/common/config.js';
import { SealedEventStore } from '../dist/encryption/sealed-event-store.js';
import { openDataKeys } from '../dist/runtime.js';
import { liveProjectionFiles } from '../dist/read-models/read-model-database.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    encrypted: { type: 'boolean', default: false },
  },
});
const target = Number(values.events);
const dataDir = mkdtempSync(join(tmpdir(), 'cms-bench-replay-'));
const cli = join(import.meta.dirname, '../dist/cli.js');

// --- generate -------------------------------------------------------------------------------------------
new SqliteEventStore(join(dataDir, 'events.db')).close();
const db = openSqlite(join(dataDir, 'events.db'), { synchronous: 'OFF' });
const insert = db.prepare(
  'INSERT INTO events (event_id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const revisions = new Map();
let written = 0;
const at = new Date('2026-01-01T00:00:00.000Z').getTime();
/** The keys the CLI and the server will open: DATA_DIR's key store and master key. */
const config = loadConfig({ DATA_DIR: dataDir }, { stdoutIsTTY: false });
const sealer = values.encrypted
  ? new SealedEventStore(new SqliteEventStore(join(dataDir, 'events.db')), openDataKeys(config))
  : null;
/** A batch's events, sealed (with --encrypted) and then inserted in one transaction. */
let pending = [];
const append = (stream, type, data, actor) => {
  const revision = (revisions.get(stream) ?? -1) + 1;
  revisions.set(stream, revision);
  const time = new Date(at + written).toISOString();
  const event = {
    id: deterministicId('bench', String(written)),
    type,
    data,
    metadata: { schema_version: type === 'ConnectedAccountCreated' ? 2 : 1, actor },
  };
  pending.push({ stream, revision, time, event });
  written++;
};
const flush = async () => {
  const rows = pending;
  pending = [];
  if (sealer) for (const row of rows) row.event = await sealer.seal(row.stream, row.event);
  immediateTransaction(db, () => {
    for (const { stream, revision, time, event } of rows) {
      insert.run(
        event.id,
        stream,
        revision,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
        time,
      );
    }
  });
};

const workspaceId = deterministicId('bench-workspace');
const system = { type: 'system' };
const generate = async (count) => {
  {
    if (written === 0) {
      append(
        `workspace-${workspaceId}`,
        'WorkspaceCreated',
        { workspace_id: workspaceId, name: 'Bench', is_sandbox: true, created_at: new Date(at).toISOString() },
        system,
      );
      append(
        `workspace-${workspaceId}`,
        'ApiKeyIssued',
        {
          api_key_id: deterministicId('key'),
          workspace_id: workspaceId,
          key_hash: 'bench',
          short_token: 'seam_bench',
          created_at: new Date(at).toISOString(),
        },
        system,
      );
    }
    const apiKey = { type: 'api_key', api_key_id: deterministicId('key') };
    for (let n = 0; n < count && written < target; n++) {
      // One customer: a webview with metadata, its completion (account + 2 devices), then device updates.
      const customer = `${written}`;
      const now = new Date(at + written).toISOString();
      const webviewId = deterministicId('webview', customer);
      const accountId = deterministicId('account', customer);
      const webview = `connect_webview-${webviewId}`;
      const metadata = { internal_account_id: `user-${customer}`, tenant: `t${Number(customer) % 100}` };
      append(
        webview,
        'ConnectWebviewCreated',
        {
          connect_webview_id: webviewId,
          workspace_id: workspaceId,
          created_at: now,
          device_selection_mode: 'none',
          accepted_providers: ['august', 'schlage', 'yale'],
          any_provider_allowed: true,
          provider_category: null,
          accepted_capabilities: ['lock'],
          custom_redirect_url: null,
          custom_redirect_failure_url: null,
          automatically_manage_new_devices: true,
          wait_for_device_creation: false,
          customer_key: null,
        },
        apiKey,
      );
      append(
        webview,
        'MetadataSet',
        metadataSet(
          { resource_type: 'connect_webview', resource_id: webviewId, workspace_id: workspaceId },
          {},
          metadata,
          { type: 'created' },
          apiKey,
          now,
        ).data,
        apiKey,
      );
      append(
        webview,
        'WebviewCompleted',
        {
          connect_webview_id: webviewId,
          workspace_id: workspaceId,
          provider: 'august',
          email: `user${customer}@example.com`,
          connected_account_id: accountId,
          completed_at: now,
        },
        system,
      );
      const saga = { type: 'completion_saga', connect_webview_id: webviewId };
      const account = `connected_account-${accountId}`;
      append(
        account,
        'ConnectedAccountCreated',
        {
          connected_account_id: accountId,
          workspace_id: workspaceId,
          provider: 'august',
          user_identifier: { email: `user${customer}@example.com` },
          connect_webview_id: webviewId,
          automatically_manage_new_devices: true,
          accepted_capabilities: ['lock'],
          created_at: now,
        },
        saga,
      );
      append(
        account,
        'MetadataSet',
        metadataSet(
          { resource_type: 'connected_account', resource_id: accountId, workspace_id: workspaceId },
          {},
          metadata,
          { type: 'webview_inherited', connect_webview_id: webviewId },
          saga,
          now,
        ).data,
        saga,
      );
      const devices = ['front-door', 'back-door'].map((key) => deterministicId('device', accountId, key));
      for (const deviceId of devices) {
        append(
          `device-${deviceId}`,
          'DeviceAdded',
          {
            device_id: deviceId,
            workspace_id: workspaceId,
            connected_account_id: accountId,
            connect_webview_id: webviewId,
            provider: 'august',
            device_type: 'august_lock',
            name: 'Door',
            model: 'August Wi-Fi Smart Lock',
            created_at: now,
          },
          saga,
        );
        append(
          `device-${deviceId}`,
          'MetadataSet',
          metadataSet(
            { resource_type: 'device', resource_id: deviceId, workspace_id: workspaceId },
            {},
            {},
            { type: 'created' },
            saga,
            now,
          ).data,
          saga,
        );
      }
      append(
        webview,
        'ConnectWebviewAuthorized',
        {
          connect_webview_id: webviewId,
          workspace_id: workspaceId,
          connected_account_id: accountId,
          selected_provider: 'august',
          authorized_at: now,
        },
        saga,
      );
      let deviceMetadata = {};
      for (let update = 0; update < 10 && written < target; update++) {
        const next = { ...deviceMetadata, [`k${update % 4}`]: `v${update}` };
        append(
          `device-${devices[update % 2]}`,
          'MetadataSet',
          metadataSet(
            { resource_type: 'device', resource_id: devices[update % 2], workspace_id: workspaceId },
            deviceMetadata,
            next,
            { type: 'api_update' },
            apiKey,
            now,
          ).data,
          apiKey,
        );
        deviceMetadata = next;
      }
    }
  }
  await flush();
};
const generating = performance.now();
while (written < target) await generate(2000);
db.close();
await sealer?.close();
console.log(`generated ${written} events in ${((performance.now() - generating) / 1000).toFixed(1)} s into ${dataDir}`);

// --- the read alone: the ceiling for any replay that reads the log on one thread -----------------------------
const read = { events: 0, seconds: 0 };
{
  const raw = new SqliteEventStore(join(dataDir, 'events.db'));
  // Read as the service reads it: opened (decrypted) when sealed.
  const store = values.encrypted ? new SealedEventStore(raw, openDataKeys(config)) : raw;
  const reading = performance.now();
  let position = 0;
  for (;;) {
    const batch = await store.readAll({ afterPosition: position, maxCount: 2000 });
    if (batch.length === 0) break;
    read.events += batch.length;
    position = batch[batch.length - 1].position;
  }
  read.seconds = (performance.now() - reading) / 1000;
  await store.close();
  console.log(
    `RESULT readAll alone${values.encrypted ? ' (opening each event)' : ''}: ${read.events} events, ${read.seconds.toFixed(1)} s (${Math.round(read.events / read.seconds)} events/s)`,
  );
}

// --- replay through the real CLI ----------------------------------------------------------------------------
const run = (args) => {
  const started = performance.now();
  const stdout = execFileSync(process.execPath, [cli, ...args], {
    env: { ...process.env, DATA_DIR: dataDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { seconds: (performance.now() - started) / 1000, stdout };
};
const swap = run(['replay', '--swap']);
console.log(swap.stdout.trim());
const verify = run(['replay', '--verify']);
console.log(verify.stdout.trim());
console.log(
  `RESULT replay --swap: ${written} events, ${swap.seconds.toFixed(1)} s wall (${Math.round(written / swap.seconds)} events/s)`,
);
console.log(
  `RESULT replay --verify: ${verify.seconds.toFixed(1)} s wall, ${verify.stdout.includes('equal the live ones') ? 'no difference' : 'DIFFERENCES FOUND'}`,
);

// --- the public events' rows alone: what writing them costs with no projection logic and no index ------------
// Replay must write every public event (about 0.85 per event here, with its JSON body). Re-inserting the
// rows the replay produced into an empty table, through the same driver and a prepared statement, in
// batches of 2,000 per transaction, with no index but the row id: with reading, a floor for any
// one-thread replay that keeps these rows.
{
  // The public events' own file, which the live main file names.
  const main = openSqlite(join(dataDir, readFileSync(join(dataDir, 'read-models.current'), 'utf8').trim()), {
    readonly: true,
  });
  const source = openSqlite(liveProjectionFiles(main).get('public_events'), { readonly: true });
  main.close();
  const target = openSqlite(join(dataDir, 'public-events-alone.db'), { synchronous: 'OFF' });
  // The table as the projection made it (its columns change with its version), without its indexes.
  const { sql: table } = source
    .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'public_events'")
    .get();
  target.exec(table);
  const columns = source.prepare('PRAGMA table_info(public_events)').all().length;
  const page = source.prepare('SELECT * FROM public_events WHERE sequence > ? ORDER BY sequence LIMIT 2000');
  page.setReturnArrays(true);
  const insertRow = target.prepare(`INSERT INTO public_events VALUES (${Array(columns).fill('?').join(', ')})`);
  let rows = 0;
  let seconds = 0;
  for (let after = -1; ;) {
    const batch = page.all(after);
    if (batch.length === 0) break;
    const started = performance.now();
    immediateTransaction(target, () => {
      for (const row of batch) insertRow.run(...row);
    });
    seconds += (performance.now() - started) / 1000;
    rows += batch.length;
    after = batch[batch.length - 1][0];
  }
  source.close();
  target.close();
  console.log(`RESULT public_events rows alone: ${rows} rows inserted in ${seconds.toFixed(1)} s`);
  const floor = read.seconds + seconds;
  console.log(
    `RESULT one-thread floor (reading + those rows, nothing else): ${floor.toFixed(1)} s, at most ${Math.round(written / floor)} events/s`,
  );
}
// --- a server started on empty read models (new, or dropped by a schema change): until /health says 200 --------
{
  for (const name of readdirSync(dataDir)) if (name.startsWith('read-models')) rmSync(join(dataDir, name));
  const started = performance.now();
  const server = spawn(process.execPath, [join(import.meta.dirname, '../dist/main.js')], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  server.stdout.on('data', (chunk) => (output += chunk));
  let url;
  while (!(url = /Listening on (http:\/\/\S+?)["\s]/.exec(output)?.[1])) await sleep(50);
  while ((await fetch(`${url}/health`)).status !== 200) await sleep(100);
  // The kernel's high-water mark of the server's resident memory, read before it exits.
  const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]);
  const seconds = (performance.now() - started) / 1000;
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  console.log(
    `RESULT server start on empty read models: /health 200 after ${seconds.toFixed(1)} s (${Math.round(written / seconds)} events/s), peak memory ${Math.round(peakKiB / 1024)} MiB`,
  );
}
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });

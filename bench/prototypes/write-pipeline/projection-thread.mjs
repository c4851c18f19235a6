// The prototype's projections: each group from the log in one transaction with its checkpoint, fsync'd,
// answering each request's projected row, so the main thread reads nothing back.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const db = new DatabaseSync(join(workerData.dataDir, 'read-models.db'));
db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
  CREATE TABLE connected_accounts (connected_account_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL,
    custom_metadata TEXT NOT NULL, updated_position INTEGER NOT NULL);
  CREATE TABLE custom_metadata_index (resource_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (resource_id, key));
  CREATE INDEX by_value ON custom_metadata_index (key, value);
  CREATE TABLE public_events (sequence INTEGER PRIMARY KEY, event_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
    event_type TEXT NOT NULL, body TEXT NOT NULL);
  CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);`);
const upsert = db.prepare(`INSERT INTO connected_accounts VALUES (?, ?, ?, ?) ON CONFLICT (connected_account_id)
  DO UPDATE SET custom_metadata = excluded.custom_metadata, updated_position = excluded.updated_position`);
const clearIndex = db.prepare('DELETE FROM custom_metadata_index WHERE resource_id = ?');
const index = db.prepare('INSERT INTO custom_metadata_index VALUES (?, ?, ?)');
const publicEvent = db.prepare(
  'INSERT INTO public_events (event_id, workspace_id, event_type, body) VALUES (?, ?, ?, ?)',
);
const checkpoint = db.prepare(
  "INSERT INTO checkpoints VALUES ('read_models', ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position",
);

parentPort.on('message', (message) => {
  if (message === 'stop') process.exit(0);
});

workerData.log.on('message', (group) => {
  db.exec('BEGIN');
  const answers = group.map(({ requestId, position, event, recordedAt }) => {
    const { resource_id: id, workspace_id: workspaceId, custom_metadata: metadata } = event.data;
    upsert.run(id, workspaceId, JSON.stringify(metadata), position);
    clearIndex.run(id);
    for (const [key, value] of Object.entries(metadata)) index.run(id, key, String(value));
    const body = {
      event_type: 'connected_account.custom_metadata_updated',
      connected_account_id: id,
      created_at: recordedAt,
    };
    publicEvent.run(event.id, workspaceId, body.event_type, JSON.stringify(body));
    const row = {
      connected_account_id: id,
      workspace_id: workspaceId,
      custom_metadata: metadata,
      created_at: recordedAt,
      user_identifier: { email: `${id}@example.com` },
      account_type: 'august',
      account_type_display_name: 'August',
      errors: [],
      warnings: [],
      automatically_manage_new_devices: true,
    };
    return { requestId, position, row };
  });
  checkpoint.run(group[group.length - 1].position);
  db.exec('COMMIT');
  parentPort.postMessage(answers);
});

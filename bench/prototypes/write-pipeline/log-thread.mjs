// The prototype's log: one group commit at a time, fsync'd, then the group goes to the projection thread.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const db = new DatabaseSync(join(workerData.dataDir, 'events.db'));
db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
  CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL,
    revision INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL, UNIQUE (stream, revision))`);
const insert = db.prepare(
  'INSERT INTO events (id, stream, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING position',
);
const { projection } = workerData;

let queue = [];
let committing = false;
parentPort.on('message', (request) => {
  // Told to stop (bench/write-stages.mjs profiles the threads: a profile is written as the thread exits).
  if (request === 'stop') return process.exit(0);
  queue.push(request);
  if (!committing) {
    committing = true;
    setImmediate(commit);
  }
});

function commit() {
  const group = queue;
  queue = [];
  const now = new Date().toISOString();
  db.exec('BEGIN IMMEDIATE');
  const recorded = group.map((request) => {
    const { event } = request;
    const data = JSON.stringify(event.data);
    const { position } = insert.get(
      event.id,
      request.stream,
      request.revision,
      event.type,
      data,
      JSON.stringify(event.metadata),
      now,
    );
    return { requestId: request.requestId, position, event, recordedAt: now };
  });
  db.exec('COMMIT');
  projection.postMessage(recorded);
  if (queue.length > 0) setImmediate(commit);
  else committing = false;
}

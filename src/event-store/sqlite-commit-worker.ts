import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from '../common/sqlite.js';
import { failureToWire, SqliteAppends, toWire } from './sqlite-appends.js';
import type { CommitRequest, CommitThreadData } from './sqlite-commit-thread.js';

/** The commit thread's side: one connection to the log, one group commit at a time, in the order asked. */
const { path, synchronous } = workerData as CommitThreadData;
const db = openSqlite(path, { synchronous });
const appends = new SqliteAppends(db);

parentPort?.on('message', ({ id, group }: CommitRequest) => {
  try {
    parentPort?.postMessage({ id, outcomes: appends.commit(group).map(toWire) });
  } catch (error) {
    parentPort?.postMessage({ id, failure: failureToWire(error) });
  }
});

import { loadConfig } from '../../src/common/config.js';
import type { EventStore } from '../../src/event-store/event-store.js';
import { openEventStore } from '../../src/runtime.js';

/**
 * A server's SQLite log as the server reads it, from beside it: sealed with the data directory's key store
 * and master key, in current shapes. (A `SqliteEventStore` on the file sees the ciphertext, as stored.)
 */
export function openServerLog(dataDir: string, env: NodeJS.ProcessEnv = {}): EventStore {
  return openEventStore(loadConfig({ DATA_DIR: dataDir, ...env }, { stdoutIsTTY: false }));
}

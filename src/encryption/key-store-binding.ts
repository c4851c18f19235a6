import { randomUUID } from 'node:crypto';
import { WrongExpectedRevisionError, type EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { DataKeys } from './data-keys.js';
import { MasterKeyError } from './master-key.js';

/**
 * Binds the log to its key store: the first sealed start records the key store's id in the log's own
 * stream (in clear: an id), and every later start checks it. A log started with another key store, or with
 * a new empty one (the old one lost, or not restored), refuses to start instead of writing under keys that
 * cannot read what is already there.
 */
export async function bindLogToKeyStore(store: EventStore, keys: DataKeys): Promise<void> {
  const { storeId } = await keys.check();
  for (let attempt = 0; attempt < 3; attempt++) {
    const events = await store.readStream(streams.logIdentity());
    const bound = events.find((event) => event.type === 'KeyStoreBound');
    if (bound) {
      const expected = (bound.data as { key_store_id: string }).key_store_id;
      if (expected === storeId) return;
      throw new MasterKeyError(
        `This log is sealed with key store ${expected}, and the key store configured is ${storeId}: ` +
          "restore the log's key store (KEY_STORE_URL, or keys.db in DATA_DIR) and its master key",
      );
    }
    try {
      await store.append(
        streams.logIdentity(),
        [
          {
            id: randomUUID(),
            type: 'KeyStoreBound',
            data: { key_store_id: storeId, bound_at: new Date().toISOString() },
            metadata: { actor: { type: 'system' } },
          },
        ],
        { expectedRevision: events.length === 0 ? 'no_stream' : events[events.length - 1].revision },
      );
      return;
    } catch (error) {
      // Another instance bound it first, or marked the log: read again.
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
    }
  }
}

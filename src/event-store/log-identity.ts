import { randomUUID } from 'node:crypto';
import { WrongExpectedRevisionError, type EventStore } from './event-store.js';
import { streams } from './streams.js';

/**
 * Every log carries a marker, `LogCreated` with a random `log_id`, written once by the first service that
 * starts on it. It tells an empty log from one that is merely quiet (EventStoreDB is full of system events),
 * lets exactly one of several instances starting on an empty log set it up, and names the log that read
 * models and checkpoints were built from: after `copy-events` and a switch of `EVENT_STORE`, positions mean
 * something else, and what was built from the other log must be rebuilt.
 */
export async function ensureLogIdentity(store: EventStore): Promise<{ logId: string; created: boolean }> {
  const existing = await readLogId(store);
  if (existing) return { logId: existing, created: false };
  const logId = randomUUID();
  try {
    await store.append(
      streams.logIdentity(),
      [
        {
          id: randomUUID(),
          type: 'LogCreated',
          data: { log_id: logId, created_at: new Date().toISOString() },
          metadata: { schema_version: 1, actor: { type: 'system' } },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    return { logId, created: true };
  } catch (error) {
    // Another instance marked it first: that marker is the log's identity.
    if (!(error instanceof WrongExpectedRevisionError)) throw error;
    return { logId: (await readLogId(store)) as string, created: false };
  }
}

async function readLogId(store: EventStore): Promise<string | undefined> {
  const [marker] = await store.readStream(streams.logIdentity(), { maxCount: 1 });
  return (marker?.data as { log_id?: string } | undefined)?.log_id;
}

import { describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectedAccountIds, legacyConnectedAccountId } from '../../src/connected-accounts/connected-account-id.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { streams } from '../../src/event-store/streams.js';

const newStore = () => new SqliteEventStore(join(mkdtempSync(join(tmpdir(), 'cms-account-id-')), 'events.db'));

describe('connected-account ids', () => {
  it('are keyed: the same login reaches the same id, but a bare hash of the login does not give it', async () => {
    const store = newStore();
    try {
      const id = await new ConnectedAccountIds(store).idFor('w1', 'august', 'Jane@Example.com');
      expect(await new ConnectedAccountIds(store).idFor('w1', 'august', 'jane@example.com')).toBe(id);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // What a guesser can compute without the key: neither the old derivation nor a plain hash matches.
      expect(id).not.toBe(legacyConnectedAccountId('w1', 'august', 'jane@example.com'));
      const plain = createHash('sha256')
        .update(JSON.stringify(['connected_account', 'w1', 'august', 'jane@example.com']))
        .digest('hex');
      expect(id.replace(/-/g, '').slice(0, 8)).not.toBe(plain.slice(0, 8));
      expect(await new ConnectedAccountIds(store).idFor('w1', 'august', 'john@example.com')).not.toBe(id);
      // The key is the log's: every instance on it, and a copy of it, derives the same id.
      const [key] = await store.readStream(streams.accountIdKey());
      expect(key.type).toBe('AccountIdKeyCreated');
    } finally {
      await store.close();
    }
    const other = newStore();
    try {
      expect(await new ConnectedAccountIds(other).idFor('w1', 'august', 'jane@example.com')).not.toBe(
        legacyConnectedAccountId('w1', 'august', 'jane@example.com'),
      );
    } finally {
      await other.close();
    }
  });

  it('keep an account created before ids were keyed: its login still reaches its old id', async () => {
    const store = newStore();
    try {
      const legacy = legacyConnectedAccountId('w1', 'august', 'old@example.com');
      await store.append(
        streams.connectedAccount(legacy),
        [{ id: randomUUID(), type: 'ConnectedAccountCreated', data: {}, metadata: {} }],
        { expectedRevision: 'no_stream' },
      );
      expect(await new ConnectedAccountIds(store).idFor('w1', 'august', 'OLD@example.com')).toBe(legacy);
    } finally {
      await store.close();
    }
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { deterministicId, keyedDeterministicId } from '../common/deterministic-id.js';
import { WrongExpectedRevisionError, type EventStore } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { Provider } from '../providers/providers.js';
import { normaliseEmail } from '../providers/sandbox-accounts.js';

/**
 * A connected account's id is derived from (workspace, provider, email), so the same login always reaches the
 * same account, from any instance. It is keyed: an HMAC under a secret kept in the log (the stream
 * `service_account-id-key`, written once by the first completion), so an id tells nothing of the email to
 * whoever sees it, and every instance on the log, or a copy of it, derives the same one.
 *
 * Accounts created before ids were keyed have the bare SHA-256 id (`legacyConnectedAccountId`): a login
 * that finds one reaches it, so those ids stay valid; every new account gets a keyed id.
 */
export class ConnectedAccountIds {
  /** The log's key: read once, created by the first instance that needs it. */
  private key: Promise<Buffer> | undefined;

  constructor(private readonly store: EventStore) {}

  async idFor(workspaceId: string, provider: Provider, email: string): Promise<string> {
    const legacy = legacyConnectedAccountId(workspaceId, provider, email);
    if ((await this.store.readStream(streams.connectedAccount(legacy), { maxCount: 1 })).length > 0) return legacy;
    return keyedDeterministicId(
      await this.accountIdKey(),
      'connected_account',
      workspaceId,
      provider,
      normaliseEmail(email),
    );
  }

  private accountIdKey(): Promise<Buffer> {
    if (!this.key) {
      const key = readOrCreateKey(this.store);
      this.key = key;
      key.catch(() => {
        if (this.key === key) this.key = undefined; // a store that was unavailable is asked again next time
      });
    }
    return this.key;
  }
}

/** The id accounts had before ids were keyed: a bare hash of the login. */
export function legacyConnectedAccountId(workspaceId: string, provider: Provider, email: string): string {
  return deterministicId('connected_account', workspaceId, provider, normaliseEmail(email));
}

async function readOrCreateKey(store: EventStore): Promise<Buffer> {
  const existing = await readKey(store);
  if (existing) return existing;
  const key = randomBytes(32);
  try {
    await store.append(
      streams.accountIdKey(),
      [
        {
          id: randomUUID(),
          type: 'AccountIdKeyCreated',
          data: { key: key.toString('base64'), created_at: new Date().toISOString() },
          metadata: { schema_version: 1, actor: { type: 'system' } },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    return key;
  } catch (error) {
    // Another instance wrote it first: that one is the log's key.
    if (!(error instanceof WrongExpectedRevisionError)) throw error;
    return (await readKey(store))!;
  }
}

async function readKey(store: EventStore): Promise<Buffer | undefined> {
  const [created] = await store.readStream(streams.accountIdKey(), { maxCount: 1 });
  const key = (created?.data as { key?: string } | undefined)?.key;
  return key === undefined ? undefined : Buffer.from(key, 'base64');
}

import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import type { EncryptionConfig } from '../common/config.js';
import { open, seal } from './aes-gcm.js';
import type { ErasureSelector, FoundKey, KeyStore, KeyStoreMeta } from './key-store.js';
import {
  candidateMasterKeys,
  MasterKeyError,
  masterKeyId,
  newKey,
  promotePendingKey,
  readMasterKey,
  writePendingKey,
} from './master-key.js';

/** The subject was erased: its key is destroyed, and nothing more can be written under it. */
export class DataErasedError extends Error {
  constructor(
    readonly keyId: string,
    readonly erasedAt: string | null,
  ) {
    super(`The data of ${keyId} was erased${erasedAt ? ` at ${erasedAt}` : ''}`);
    this.name = 'DataErasedError';
  }
}

/** An event names a key the key store never had: the wrong key store, or one restored without its keys. */
export class MissingDataKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`The key store has no data key ${keyId}, and no record of its erasure: is this the log's key store?`);
    this.name = 'MissingDataKeyError';
  }
}

/** A key `openKey` answered, rather than the time its subject was erased. */
export function isKey(key: KeyObject | { erasedAt: string | null }): key is KeyObject {
  return !('erasedAt' in key);
}

/** Where a data key belongs: the workspace and the subject whose erasure destroys it. */
export interface KeyOwner {
  workspaceId: string | null;
  ownerId: string | null;
}

const MASTER_CHECK = 'custom-metadata-service key store';
const MASTER_CHECK_AAD = 'master-check';
const wrapAad = (keyId: string) => `data-key\u0000${keyId}`;
/** Unwrapped data keys kept in memory: one per active subject, so a write seldom reads the key store. */
const CACHED_KEYS = 10_000;

interface CachedKey extends KeyOwner {
  key: KeyObject;
}

/**
 * Data keys, created on first use, wrapped by the master key in the key store, and unwrapped once into a
 * bounded cache. Erasure destroys them in the store and marks the subject here, so this process stops
 * opening its data at once; other processes mark it when they read the erasure's event (see
 * SealedEventStore).
 */
export class DataKeys {
  private readonly cache = new Map<string, CachedKey>();
  private readonly opening = new Map<string, Promise<KeyObject | { erasedAt: string | null }>>();
  /** Subjects (key ids, `workspace:<id>`) known erased, with when. */
  private readonly erased = new Map<string, string | null>();
  private unlocked: Promise<{ master: KeyObject; meta: KeyStoreMeta }> | undefined;

  constructor(
    readonly store: KeyStore,
    private readonly masterSource: EncryptionConfig['masterKey'],
  ) {}

  /** Opens the key store with the master key, or throws MasterKeyError: what start-up checks first. */
  async check(): Promise<KeyStoreMeta> {
    return (await this.unlock()).meta;
  }

  private unlock(): Promise<{ master: KeyObject; meta: KeyStoreMeta }> {
    this.unlocked ??= this.findMaster().catch((error: unknown) => {
      this.unlocked = undefined;
      throw error;
    });
    return this.unlocked;
  }

  private async findMaster(): Promise<{ master: KeyObject; meta: KeyStoreMeta }> {
    let meta = await this.store.meta();
    if (!meta) {
      const master = readMasterKey(this.masterSource, { mayGenerate: true });
      meta = await this.store.initMeta({
        storeId: randomUUID(),
        masterKeyId: masterKeyId(master),
        masterCheck: seal(master, Buffer.from(MASTER_CHECK), MASTER_CHECK_AAD),
      });
    }
    const candidates = candidateMasterKeys(this.masterSource);
    if (candidates.length === 0) readMasterKey(this.masterSource, { mayGenerate: false });
    const stored = meta;
    const master = candidates.find((key) => masterKeyId(key) === stored.masterKeyId && opensCheck(key, stored));
    if (!master) {
      throw new MasterKeyError(
        `The master key does not open the key store (its data keys are wrapped by master key ${stored.masterKeyId}, ` +
          `given ${candidates.map(masterKeyId).join(', ')}): start with the key that wrapped them`,
      );
    }
    return { master: createSecretKey(master), meta };
  }

  /**
   * The key to seal under, created on first use. Throws DataErasedError for an erased subject. `owner` is
   * asked only when the key is created (finding it may cost a read).
   */
  async keyFor(keyId: string, owner: KeyOwner | (() => Promise<KeyOwner>)): Promise<KeyObject> {
    const cached = this.cachedKey(keyId);
    if (cached) return cached;
    for (let attempt = 0; ; attempt++) {
      const { master, meta } = await this.unlock();
      const found =
        (await this.store.find(keyId)) ??
        (await this.store.insert(
          {
            keyId,
            ...(typeof owner === 'function' ? await owner() : owner),
            wrapped: seal(master, newKey(), wrapAad(keyId)),
          },
          meta.masterKeyId,
        ));
      if (found) return this.remember(keyId, found, master);
      // A rotation replaced the master key meanwhile: take the new one, and wrap again.
      if (attempt > 2) throw new MasterKeyError('The master key keeps changing: is a rotation stuck?');
      this.unlocked = undefined;
    }
  }

  /** The key to open data sealed under `keyId` with; `erased` when it was destroyed. */
  openKey(keyId: string): Promise<KeyObject | { erasedAt: string | null }> {
    const cached = this.cachedKeyOf(keyId);
    if (cached) return Promise.resolve(cached);
    const known = this.erasedAt(keyId, this.cache.get(keyId) ?? null);
    if (known !== undefined) return Promise.resolve({ erasedAt: known });
    // The events of one read share their keys: each is fetched once, however many ask at the same time.
    let opening = this.opening.get(keyId);
    if (!opening) {
      opening = this.fetchKey(keyId).finally(() => this.opening.delete(keyId));
      this.opening.set(keyId, opening);
    }
    return opening;
  }

  private async fetchKey(keyId: string): Promise<KeyObject | { erasedAt: string | null }> {
    for (let attempt = 0; ; attempt++) {
      const found = await this.store.find(keyId);
      if (!found) throw new MissingDataKeyError(keyId);
      try {
        return this.remember(keyId, found, (await this.unlock()).master);
      } catch (error) {
        if (error instanceof DataErasedError) return { erasedAt: error.erasedAt };
        // A rotation re-wrapped the key under a master key this process has yet to read: read it, once.
        if (!(error instanceof MasterKeyError) || attempt > 0) throw error;
      }
    }
  }

  private remember(keyId: string, found: NonNullable<FoundKey>, master: KeyObject): KeyObject {
    if ('destroyedAt' in found) {
      this.erased.set(keyId, found.destroyedAt);
      throw new DataErasedError(keyId, found.destroyedAt);
    }
    let key: KeyObject;
    try {
      key = createSecretKey(open(master, found.wrapped, wrapAad(keyId)));
    } catch {
      // Wrapped by a newer master key than the one held: a rotation ran; the next call takes the new key.
      this.unlocked = undefined;
      throw new MasterKeyError(`Data key ${keyId} does not open with the master key held: retry after a rotation`);
    }
    // Its owner or workspace may be known erased here before the key store has destroyed it.
    const erasedAt = this.erasedAt(keyId, found);
    if (erasedAt !== undefined) throw new DataErasedError(keyId, erasedAt);
    if (this.cache.size >= CACHED_KEYS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(keyId, { key, workspaceId: found.workspaceId, ownerId: found.ownerId });
    return key;
  }

  /** The key if this process holds it and its subject is not erased; undefined otherwise (ask `openKey`). */
  cachedKeyOf(keyId: string): KeyObject | undefined {
    const cached = this.cache.get(keyId);
    return cached && this.erasedAt(keyId, cached) === undefined ? cached.key : undefined;
  }

  private cachedKey(keyId: string): KeyObject | undefined {
    const cached = this.cache.get(keyId);
    if (!cached) return undefined;
    const erasedAt = this.erasedAt(keyId, cached);
    if (erasedAt === undefined) return cached.key;
    this.cache.delete(keyId);
    throw new DataErasedError(keyId, erasedAt);
  }

  private erasedAt(keyId: string, owner: KeyOwner | null): string | null | undefined {
    if (this.erased.size === 0) return undefined;
    for (const subject of [keyId, owner?.ownerId, owner?.workspaceId && `workspace:${owner.workspaceId}`]) {
      if (subject && this.erased.has(subject)) return this.erased.get(subject) ?? null;
    }
    return undefined;
  }

  /** Destroys the keys for good (the key store scrubs them from disk), and stops using them here at once. */
  async erase(selector: ErasureSelector, at: string): Promise<string[]> {
    this.noteErased(selector, at);
    return this.store.destroy(selector, at);
  }

  /** Another process erased this subject (its event was read): stop opening its data from the cache. */
  noteErased(selector: ErasureSelector, at: string | null): void {
    const subject = 'subject' in selector ? selector.subject : `workspace:${selector.workspaceId}`;
    this.erased.set(subject, at);
    for (const [keyId, cached] of this.cache) {
      if (this.erasedAt(keyId, cached) !== undefined) this.cache.delete(keyId);
    }
  }

  /**
   * Re-wraps every data key under a new master key, written to `file` (`file.new` first, renamed once the
   * key store is re-wrapped: a crash in between leaves both keys, and start-up takes whichever opens it).
   */
  async rotateMaster(file: string): Promise<{ keys: number; masterKeyId: string }> {
    const { master, meta } = await this.unlock();
    const next = newKey();
    writePendingKey(file, next);
    const nextMeta = {
      storeId: meta.storeId,
      masterKeyId: masterKeyId(next),
      masterCheck: seal(next, Buffer.from(MASTER_CHECK), MASTER_CHECK_AAD),
    };
    const keys = await this.store.rewrap(
      (key) => seal(next, open(master, key.wrapped, wrapAad(key.keyId)), wrapAad(key.keyId)),
      nextMeta,
    );
    promotePendingKey(file);
    this.unlocked = Promise.resolve({ master: createSecretKey(next), meta: nextMeta });
    return { keys, masterKeyId: nextMeta.masterKeyId };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function opensCheck(master: Buffer, meta: KeyStoreMeta): boolean {
  try {
    return open(master, meta.masterCheck, MASTER_CHECK_AAD).toString() === MASTER_CHECK;
  } catch {
    return false;
  }
}

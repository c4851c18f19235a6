import type { EventMetadata, EventStore, NewEvent, RecordedEvent } from '../event-store/event-store.js';
import { EventStoreDecorator } from '../event-store/event-store-decorator.js';
import { open, seal, type CipherKey } from './aes-gcm.js';
import {
  carriesPersonalFields,
  dataKeyOf,
  erasureOf,
  personalFieldsOf,
  type DataKeyChoice,
} from './data-key-policy.js';
import { isKey, type DataKeys } from './data-keys.js';

/** What an event whose key was destroyed reads as: its place in the log, and nothing of its data. */
export const ERASED_EVENT_TYPE = 'EventErased';

export interface ErasedEventData {
  erased_type: string;
  key_id: string;
  erased_at: string | null;
}

/** A ciphertext that fails authentication: changed, or moved from another event. Its data is never used. */
export class TamperedEventError extends Error {
  constructor(event: { id: string; stream: string; position: number }, what: string) {
    super(
      `Event ${event.id} (stream ${event.stream}, position ${event.position}) fails authentication: ${what} was changed or moved`,
    );
    this.name = 'TamperedEventError';
  }
}

interface SealedData {
  sealed: string;
}
interface SealedField {
  $sealed: string;
  key_id: string;
}

const eventAad = (stream: string, id: string, type: string, keyId: string) =>
  `event\u0000${stream}\u0000${id}\u0000${type}\u0000${keyId}`;
const fieldAad = (stream: string, id: string, field: string, keyId: string) =>
  `field\u0000${stream}\u0000${id}\u0000${field}\u0000${keyId}`;

/**
 * Envelope encryption above the event-store port, so that every adapter stores ciphertext: each event's
 * data is sealed (AES-256-GCM, a fresh IV) under its data key (data-key-policy.ts), and the authenticated
 * data binds it to its stream, id, type and key. Only the stream, type, ids, positions, times, schema
 * version and the key id (`metadata.key_id`) stay in clear.
 *
 * Reads open what they can. An event whose key was destroyed reads as `EventErased`, in its place, so
 * positions and revisions keep their meaning; an erased personal field reads as null. An event without a
 * key id was written before encryption, in clear, and reads as it is.
 */
export class SealedEventStore extends EventStoreDecorator {
  constructor(
    inner: EventStore,
    readonly keys: DataKeys,
  ) {
    super(inner);
  }

  protected override encode(stream: string, events: readonly NewEvent[]): Promise<NewEvent[]> {
    return Promise.all(events.map((event) => this.seal(stream, event)));
  }

  protected override decode(events: RecordedEvent[]): Promise<RecordedEvent[]> | RecordedEvent[] {
    return this.openAll(events);
  }

  override async close(): Promise<void> {
    await this.inner.close();
    await this.keys.close();
  }

  /** The event as it is stored: its data sealed, its key named in its metadata (or as it is, if kept in clear). */
  async seal(stream: string, event: NewEvent): Promise<NewEvent> {
    const choice = dataKeyOf(stream, event);
    if (!choice) return event;
    let data = event.data;
    const personal = personalFieldsOf(event);
    if (personal) data = await this.sealFields(stream, event.id, data as Record<string, unknown>, personal);
    const key = await this.keys.keyFor(choice.keyId, () => this.ownerOf(stream, choice));
    const sealed: SealedData = {
      sealed: seal(key, Buffer.from(JSON.stringify(data)), eventAad(stream, event.id, event.type, choice.keyId)),
    };
    return { ...event, data: sealed, metadata: { ...event.metadata, key_id: choice.keyId } };
  }

  private async sealFields(
    stream: string,
    id: string,
    data: Record<string, unknown>,
    { fields, key: choice }: { fields: readonly string[]; key: DataKeyChoice },
  ): Promise<Record<string, unknown>> {
    const key = await this.keys.keyFor(choice.keyId, choice);
    const out = { ...data };
    for (const field of fields) {
      if (out[field] === undefined) continue;
      const value: SealedField = {
        $sealed: seal(key, Buffer.from(JSON.stringify(out[field])), fieldAad(stream, id, field, choice.keyId)),
        key_id: choice.keyId,
      };
      out[field] = value;
    }
    return out;
  }

  /**
   * A device's key is owned by its account's, named by the device's first event (DeviceAdded), which
   * creates the key. Only a device added before encryption has no key yet at a later event: its first event
   * is read, once, to find its owner.
   */
  private async ownerOf(stream: string, choice: DataKeyChoice): Promise<DataKeyChoice> {
    if (!stream.startsWith('device-') || choice.ownerId) return choice;
    const [first] = await this.readStream(stream, { maxCount: 1 });
    const account = (first?.data as { connected_account_id?: unknown } | undefined)?.connected_account_id;
    return typeof account === 'string' ? { ...choice, ownerId: `connected_account:${account}` } : choice;
  }

  private openAll(events: RecordedEvent[]): Promise<RecordedEvent[]> | RecordedEvent[] {
    // Events in clear (a log from before encryption) cost nothing to read.
    if (!events.some((event) => typeof event.metadata.key_id === 'string')) return events.map((e) => this.noted(e));
    // Nearly every read finds its keys in the cache: those events open at once, without a promise each.
    const opened = events.map((event) => this.openCached(event));
    if (opened.every((event) => event !== undefined)) return opened as RecordedEvent[];
    return Promise.all(events.map((event, index) => opened[index] ?? this.openEvent(event)));
  }

  /** The event opened now, or undefined when that needs the key store (a key not cached, personal fields). */
  private openCached(event: RecordedEvent): RecordedEvent | undefined {
    const keyId = event.metadata.key_id;
    if (typeof keyId !== 'string') return this.noted(event);
    if (carriesPersonalFields(event.type)) return undefined;
    const key = this.keys.cachedKeyOf(keyId);
    return key && this.opened(event, this.decrypt(event, keyId, key), []);
  }

  private async openEvent(event: RecordedEvent): Promise<RecordedEvent> {
    const keyId = event.metadata.key_id;
    if (typeof keyId !== 'string') return this.noted(event);
    const key = await this.keys.openKey(keyId);
    if (!isKey(key)) return erased(event, keyId, key.erasedAt);
    const { data, erased: erasedFields } = await this.openFields(event, this.decrypt(event, keyId, key));
    return this.opened(event, data, erasedFields);
  }

  private decrypt(event: RecordedEvent, keyId: string, key: CipherKey): unknown {
    const sealed = (event.data as Partial<SealedData> | null)?.sealed;
    try {
      if (typeof sealed !== 'string') throw new Error('no ciphertext');
      return JSON.parse(open(key, sealed, eventAad(event.stream, event.id, event.type, keyId)).toString());
    } catch {
      throw new TamperedEventError(event, 'its data');
    }
  }

  /** Read back as it was appended: the key id is the store's business, not the reader's. */
  private opened(event: RecordedEvent, data: unknown, erasedFields: string[]): RecordedEvent {
    const { key_id: _keyId, ...metadata } = event.metadata;
    return this.noted({ ...event, data, metadata: withErasedFields(metadata, erasedFields) });
  }

  private async openFields(event: RecordedEvent, data: unknown): Promise<{ data: unknown; erased: string[] }> {
    if (data === null || typeof data !== 'object' || !personalFieldsOf({ ...event, data })) return { data, erased: [] };
    const out = { ...(data as Record<string, unknown>) };
    const erasedFields: string[] = [];
    for (const [field, value] of Object.entries(out)) {
      if (value === null || typeof value !== 'object' || !('$sealed' in value)) continue;
      const { $sealed, key_id } = value as SealedField;
      const key = await this.keys.openKey(key_id);
      if (!isKey(key)) {
        out[field] = null;
        erasedFields.push(field);
        continue;
      }
      try {
        out[field] = JSON.parse(open(key, $sealed, fieldAad(event.stream, event.id, field, key_id)).toString());
      } catch {
        throw new TamperedEventError(event, `its field ${field}`);
      }
    }
    return { data: out, erased: erasedFields };
  }

  /** An erasure's record, read by any process: its subject's keys stop opening here too, at once. */
  private noted(event: RecordedEvent): RecordedEvent {
    const erasure = erasureOf(event.type, event.data);
    if (erasure) this.keys.noteErased(erasure.selector, erasure.at);
    return event;
  }
}

function erased(event: RecordedEvent, keyId: string, erasedAt: string | null): RecordedEvent {
  const data: ErasedEventData = { erased_type: event.type, key_id: keyId, erased_at: erasedAt };
  return { ...event, type: ERASED_EVENT_TYPE, data };
}

function withErasedFields(metadata: EventMetadata, fields: string[]): EventMetadata {
  return fields.length === 0 ? metadata : { ...metadata, erased_fields: fields };
}

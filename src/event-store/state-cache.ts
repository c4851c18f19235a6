import { LRUCache } from 'lru-cache';
import type { CommandMeta, Decider, DomainEvent } from './decider.js';
import type { EventStore } from './event-store.js';

/**
 * The stream's state and the revision it is folded to. Recently used streams keep their folded state, so a
 * command reads only the events appended since (by this process or another one sharing the log), usually
 * none: its cost does not grow with the stream's history.
 */
export async function currentState<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
): Promise<{ state: State; revision: number }> {
  const states = statesOf(store, decider);
  const known = states.get(stream) ?? { state: decider.initialState(), revision: -1 };
  const newer = await store.readStream(stream, known.revision >= 0 ? { fromRevision: known.revision + 1 } : {});
  if (newer.length === 0) return known;
  const state = newer.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), known.state);
  const current = { state, revision: newer[newer.length - 1].revision };
  states.set(stream, current);
  return current;
}

/**
 * Folded states, per store: one least-recently-used map over every decider's streams, bounded by the bytes
 * its states hold (an estimate: see `estimateBytes`), not by how many there are. A tenant that fills its
 * resources with 50 keys of 500 characters gets fewer streams cached, not more memory; a stream that fell
 * out is folded from the log again. STATE_CACHE_BYTES sets the bound (64 MiB by default). lru-cache keeps it.
 */
export const DEFAULT_STATE_CACHE_BYTES = 64 * 1024 * 1024;

interface CachedState {
  decider: object;
  state: unknown;
  revision: number;
}

function newStateCache(limitBytes: number): LRUCache<string, CachedState> {
  // A state larger than the whole cache is not kept (lru-cache's maxEntrySize defaults to maxSize): it is
  // folded again when asked for.
  return new LRUCache<string, CachedState>({
    maxSize: limitBytes,
    sizeCalculation: (entry, stream) => Math.max(1, stream.length * 2 + estimateBytes(entry.state)),
  });
}

const stateCaches = new WeakMap<EventStore, LRUCache<string, CachedState>>();

function cacheOf(store: EventStore): LRUCache<string, CachedState> {
  let cache = stateCaches.get(store);
  if (!cache) stateCaches.set(store, (cache = newStateCache(DEFAULT_STATE_CACHE_BYTES)));
  return cache;
}

/** Sets how many bytes of folded state `store`'s cache may hold (STATE_CACHE_BYTES). */
export function limitStateCache(store: EventStore, limitBytes: number): void {
  const old = cacheOf(store);
  const cache = newStateCache(limitBytes);
  // Oldest first, so that the most recently used are the ones kept under the new bound.
  for (const [stream, entry] of [...old.entries()].reverse()) cache.set(stream, entry);
  stateCaches.set(store, cache);
}

/** What the cache holds now: for tests and metrics. */
export function stateCacheUsage(store: EventStore): { streams: number; bytes: number; limitBytes: number } {
  const cache = cacheOf(store);
  return { streams: cache.size, bytes: cache.calculatedSize, limitBytes: cache.maxSize };
}

/**
 * About how many bytes `value` takes in V8: two a character of a string, and a fixed overhead a value and a
 * property. A walk, not a serialisation: it allocates nothing, and a state of 50 keys takes microseconds.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  if (typeof value === 'string') return 16 + value.length * 2;
  if (value === null || typeof value !== 'object' || depth > 32) return 16;
  let bytes = 32;
  if (Array.isArray(value)) {
    for (const item of value) bytes += 8 + estimateBytes(item, depth + 1);
    return bytes;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    bytes += 16 + key.length * 2 + estimateBytes((value as Record<string, unknown>)[key], depth + 1);
  }
  return bytes;
}

export function statesOf<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
) {
  const cache = cacheOf(store);
  return {
    get(stream: string): { state: State; revision: number } | undefined {
      const entry = cache.get(stream);
      return entry?.decider === decider ? { state: entry.state as State, revision: entry.revision } : undefined;
    },
    set(stream: string, entry: { state: State; revision: number }): void {
      cache.set(stream, { decider, state: entry.state, revision: entry.revision });
    },
  };
}

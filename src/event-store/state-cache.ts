import { LRUCache } from 'lru-cache';
import type { CommandMeta, Decider, DomainEvent } from './decider.js';
import type { EventStore } from './event-store.js';

/**
 * Folded states: one least-recently-used map over every decider's streams, bounded by the bytes its states
 * hold (an estimate: see `estimateBytes`), not by how many there are. A tenant that fills its resources with
 * 50 keys of 500 characters gets fewer streams cached, not more memory; a stream that fell out is folded
 * from the log again. STATE_CACHE_BYTES sets the bound (64 MiB by default). lru-cache keeps it.
 *
 * Recently used streams keep their folded state, so a command reads only the events appended since (by
 * this process or another one sharing the log), usually none: its cost does not grow with the stream's
 * history.
 */
export const DEFAULT_STATE_CACHE_BYTES = 64 * 1024 * 1024;

interface CachedState {
  decider: object;
  state: unknown;
  revision: number;
}

export interface FoldedState<State> {
  state: State;
  /** The stream's revision the state is folded to; -1 for a stream with no event. */
  revision: number;
}

export class StateCache {
  private readonly cache: LRUCache<string, CachedState>;

  constructor(limitBytes = DEFAULT_STATE_CACHE_BYTES) {
    // A state larger than the whole cache is not kept (lru-cache's maxEntrySize defaults to maxSize): it is
    // folded again when asked for.
    this.cache = new LRUCache<string, CachedState>({
      maxSize: limitBytes,
      sizeCalculation: (entry, stream) => Math.max(1, stream.length * 2 + estimateBytes(entry.state)),
    });
  }

  /** The cached state, as `decider` folded it; undefined when none is cached (or another decider's is). */
  get<State>(stream: string, decider: object): FoldedState<State> | undefined {
    const entry = this.cache.get(stream);
    return entry?.decider === decider ? { state: entry.state as State, revision: entry.revision } : undefined;
  }

  set<State>(stream: string, decider: object, folded: FoldedState<State>): void {
    this.cache.set(stream, { decider, state: folded.state, revision: folded.revision });
  }

  /** The stream's state now: the cached one, folded on with the events `store` has appended since. */
  async current<Command extends CommandMeta, Event extends DomainEvent, State>(
    store: EventStore,
    stream: string,
    decider: Decider<Command, Event, State>,
  ): Promise<FoldedState<State>> {
    const known = this.get<State>(stream, decider) ?? { state: decider.initialState(), revision: -1 };
    const newer = await store.readStream(stream, known.revision >= 0 ? { fromRevision: known.revision + 1 } : {});
    if (newer.length === 0) return known;
    const state = newer.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), known.state);
    const current = { state, revision: newer[newer.length - 1].revision };
    this.set(stream, decider, current);
    return current;
  }

  /** What the cache holds now: for tests and metrics. */
  usage(): { streams: number; bytes: number; limitBytes: number } {
    return { streams: this.cache.size, bytes: this.cache.calculatedSize, limitBytes: this.cache.maxSize };
  }
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

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
 * Folded states by store and decider: a least-recently-used map of at most MAX_CACHED_STREAMS streams per
 * decider. A device's state with 50 keys of 500 characters is about 25 KB, so this bounds the cache near
 * 25 MB a decider whatever the tenants write; a stream that fell out is folded from the log again.
 */
const MAX_CACHED_STREAMS = 1_000;
const stateCaches = new WeakMap<EventStore, WeakMap<object, Map<string, { state: unknown; revision: number }>>>();

export function statesOf<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  decider: Decider<Command, Event, State>,
) {
  let byDecider = stateCaches.get(store);
  if (!byDecider) stateCaches.set(store, (byDecider = new WeakMap()));
  let states = byDecider.get(decider);
  if (!states) byDecider.set(decider, (states = new Map()));
  const map = states;
  return {
    get(stream: string): { state: State; revision: number } | undefined {
      const entry = map.get(stream) as { state: State; revision: number } | undefined;
      if (entry) {
        map.delete(stream);
        map.set(stream, entry);
      }
      return entry;
    },
    set(stream: string, entry: { state: State; revision: number }): void {
      map.delete(stream);
      map.set(stream, entry);
      if (map.size > MAX_CACHED_STREAMS) map.delete(map.keys().next().value as string);
    },
  };
}

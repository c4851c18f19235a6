import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor } from '../common/actor.js';
import { WrongExpectedRevisionError, type EventStore } from './event-store.js';

export interface DomainEvent {
  type: string;
  data: unknown;
}

/** What every command carries besides its data: who asks, and when (so a decider never reads a clock). */
export interface CommandMeta {
  actor: Actor;
  now: string;
}

/** A resource's pure core: no Nest, no I/O. `decide` refuses a command by throwing a DomainError. */
export interface Decider<Command extends CommandMeta, Event extends DomainEvent, State> {
  initialState: () => State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

export interface CommandOptions {
  correlationId?: string;
  /** Deterministic ids make a repeated command (a saga's retry) a no-op; random by default. */
  eventId?: (index: number, event: DomainEvent) => string;
}

/** What a write answers: the log position of its last event, so the caller can wait until it is readable. */
export interface WriteResult {
  /** 0 when the command appended nothing. */
  position: number;
}

export interface CommandResult<Event, State> {
  events: Event[];
  state: State;
  /** Global position of the last event appended; 0 when the command appended nothing. */
  position: number;
}

/**
 * Retries after a revision conflict: from 2 ms, doubling up to 100 ms, each with full jitter, for at most
 * 5 s in all. Writers racing on one stream spread out instead of colliding again in lockstep.
 */
const RETRY = { firstDelayMs: 2, maxDelayMs: 100, budgetMs: 5_000 };

/** A stream's current state, folded from its events. */
export async function loadState<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
): Promise<State> {
  return (await currentState(store, stream, decider)).state;
}

/**
 * Load the stream, fold it, decide, append at the revision that was read. Another writer in between makes
 * the append fail with WrongExpectedRevisionError; the command is then decided again on the new state, so
 * concurrent commands never overwrite one another.
 */
export async function handleCommand<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: CommandOptions = {},
): Promise<CommandResult<Event, State>> {
  return oneAtATime(store, stream, () => decideAndAppend(store, stream, decider, command, options));
}

async function decideAndAppend<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: CommandOptions,
): Promise<CommandResult<Event, State>> {
  const startedAt = Date.now();
  for (let delay = RETRY.firstDelayMs; ; delay = Math.min(delay * 2, RETRY.maxDelayMs)) {
    const { state, revision } = await currentState(store, stream, decider);
    const events = decider.decide(command, state);
    const newState = events.reduce(decider.evolve, state);
    if (events.length === 0) return { events, state: newState, position: 0 };
    try {
      const { position } = await store.append(
        stream,
        events.map((event, index) => ({
          id: options.eventId?.(index, event) ?? randomUUID(),
          type: event.type,
          data: event.data,
          metadata: {
            actor: command.actor,
            ...(options.correlationId ? { correlation_id: options.correlationId } : {}),
          },
        })),
        { expectedRevision: revision >= 0 ? revision : 'no_stream' },
      );
      statesOf(store, decider).set(stream, { state: newState, revision: revision + events.length });
      return { events, state: newState, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || Date.now() - startedAt > RETRY.budgetMs) throw error;
      await sleep(Math.random() * delay);
    }
  }
}

/**
 * The stream's state and the revision it is folded to. Recently used streams keep their folded state, so a
 * command reads only the events appended since (by this process or another one sharing the log), usually
 * none: its cost does not grow with the stream's history.
 */
async function currentState<Command extends CommandMeta, Event extends DomainEvent, State>(
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

/** Folded states by store and decider: a least-recently-used map of at most MAX_CACHED_STREAMS streams. */
const MAX_CACHED_STREAMS = 10_000;
const stateCaches = new WeakMap<EventStore, WeakMap<object, Map<string, { state: unknown; revision: number }>>>();

function statesOf<Command extends CommandMeta, Event extends DomainEvent, State>(
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

/**
 * Commands to one stream run one after the other in this process, so that concurrent writers to the same
 * stream queue up instead of colliding on its revision and burning retries.
 */
const streamQueues = new WeakMap<EventStore, Map<string, Promise<unknown>>>();

async function oneAtATime<T>(store: EventStore, stream: string, run: () => Promise<T>): Promise<T> {
  let queues = streamQueues.get(store);
  if (!queues) streamQueues.set(store, (queues = new Map()));
  const previous = queues.get(stream) ?? Promise.resolve();
  const result = previous.then(run, run);
  const tail = result.catch(() => undefined);
  queues.set(stream, tail);
  try {
    return await result;
  } finally {
    if (queues.get(stream) === tail) queues.delete(stream);
  }
}

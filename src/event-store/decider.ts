import { randomUUID } from 'node:crypto';
import type { Actor } from '../common/actor.js';
import { WrongExpectedRevisionError, type EventStore } from './event-store.js';

export interface DomainEvent {
  type: string;
  data: unknown;
}

/** A resource's pure core: no Nest, no I/O. `decide` throws a SeamError to refuse a command. */
export interface Decider<Command, Event extends DomainEvent, State> {
  initialState: State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

export interface CommandContext {
  actor: Actor;
  correlationId?: string;
  /** Deterministic ids make a repeated command (a saga's retry) a no-op; random by default. */
  eventId?: (index: number, event: DomainEvent) => string;
}

export interface CommandResult<Event, State> {
  events: Event[];
  state: State;
  /** Global position of the last event appended; 0 when the command appended nothing. */
  position: number;
}

const MAX_ATTEMPTS = 50;

/** A stream's current state, folded from its events. */
export async function loadState<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
): Promise<State> {
  const recorded = await store.readStream(stream);
  return recorded.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState);
}

/**
 * Load the stream, fold it, decide, append at the revision that was read. Another writer in between
 * makes the append fail with WrongExpectedRevisionError; the command is then decided again on the new
 * state, so concurrent commands never overwrite one another.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  context: CommandContext,
): Promise<CommandResult<Event, State>> {
  for (let attempt = 1; ; attempt++) {
    const recorded = await store.readStream(stream);
    const state = recorded.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState);
    const events = decider.decide(command, state);
    const newState = events.reduce(decider.evolve, state);
    if (events.length === 0) return { events, state: newState, position: 0 };
    try {
      const { position } = await store.append(
        stream,
        events.map((event, index) => ({
          id: context.eventId?.(index, event) ?? randomUUID(),
          type: event.type,
          data: event.data,
          metadata: {
            // Stamped with the type's current version by the UpcastingEventStore.
            schema_version: 1,
            actor: context.actor,
            ...(context.correlationId ? { correlation_id: context.correlationId } : {}),
          },
        })),
        { expectedRevision: recorded.length > 0 ? recorded[recorded.length - 1].revision : 'no_stream' },
      );
      return { events, state: newState, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

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
  return fold(decider, await store.readStream(stream));
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
  const startedAt = Date.now();
  for (let delay = RETRY.firstDelayMs; ; delay = Math.min(delay * 2, RETRY.maxDelayMs)) {
    const recorded = await store.readStream(stream);
    const state = fold(decider, recorded);
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
        { expectedRevision: recorded.length > 0 ? recorded[recorded.length - 1].revision : 'no_stream' },
      );
      return { events, state: newState, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || Date.now() - startedAt > RETRY.budgetMs) throw error;
      await sleep(Math.random() * delay);
    }
  }
}

function fold<Command extends CommandMeta, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
  recorded: readonly DomainEvent[],
): State {
  return recorded.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as Event), decider.initialState());
}

import type { Actor } from '../common/actor.js';

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
 * The last case of `evolve`'s switch: it compiles only when every event type of the union has its case. An
 * event of a type this build does not know (written by a newer one sharing the log) changes nothing.
 */
export function unknownEvent<State>(_event: never, state: State): State {
  return state;
}

/** The last case of `decide`'s switch: it compiles only when every command type has its case. */
export function unknownCommand(command: never): never {
  throw new Error(`No decider case for the command ${JSON.stringify((command as { type?: unknown }).type)}`);
}

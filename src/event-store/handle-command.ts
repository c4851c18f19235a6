import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandMeta, CommandOptions, CommandResult, Decider, DomainEvent } from './decider.js';
import { WrongExpectedRevisionError, type EventStore, type NewEvent } from './event-store.js';
import { currentState, statesOf } from './state-cache.js';

/** A stream's current state, folded from its events. */
export async function loadState<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
): Promise<State> {
  return (await currentState(store, stream, decider)).state;
}

/**
 * Retries after a revision conflict: from 2 ms, doubling up to 100 ms, each with full jitter, for at most
 * 5 s in all. Writers racing on one stream spread out instead of colliding again in lockstep.
 */
const RETRY = { firstDelayMs: 2, maxDelayMs: 100, budgetMs: 5_000 };

interface Queued<Command, Event, State> {
  decider: Decider<Command & CommandMeta, Event & DomainEvent, State>;
  command: Command & CommandMeta;
  options: CommandOptions;
  resolve: (result: CommandResult<Event, State>) => void;
  reject: (error: unknown) => void;
}

/** Each stream's commands waiting in this process; a stream has a lane while it is being drained. */
const lanes = new WeakMap<EventStore, Map<string, Queued<never, never, never>[]>>();

/**
 * Load the stream, fold it, decide, append at the revision that was read. Another writer in between makes
 * the append fail with WrongExpectedRevisionError; the command is then decided again on the new state, so
 * concurrent commands never overwrite one another.
 *
 * Commands to one stream wait in its lane in this process, so that concurrent writers to the same stream
 * queue up instead of colliding on its revision. When the lane is free, every command waiting in it is
 * decided, one after the other on the state the previous one left, and their events are appended at once:
 * one revision check and one commit for them all. A command with its own event ids (a saga's step, whose
 * ids make a repeat a no-op in the store) is appended alone.
 */
export function handleCommand<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: CommandOptions = {},
): Promise<CommandResult<Event, State>> {
  let byStream = lanes.get(store);
  if (!byStream) lanes.set(store, (byStream = new Map()));
  const streams = byStream;
  return new Promise((resolve, reject) => {
    const lane = streams.get(stream);
    const queued = { decider, command, options, resolve, reject } as unknown as Queued<never, never, never>;
    if (lane) {
      lane.push(queued);
      return;
    }
    streams.set(stream, [queued]);
    void drain(store, stream, streams);
  });
}

async function drain(store: EventStore, stream: string, streams: Map<string, Queued<never, never, never>[]>) {
  // Let the commands of this turn join the first one.
  await new Promise((resolve) => setImmediate(resolve));
  for (let lane = streams.get(stream)!; lane.length > 0;) {
    const [first] = lane;
    const together = first.options.eventId
      ? 1
      : lane.findIndex((queued) => queued.options.eventId !== undefined || queued.decider !== first.decider);
    const batch = lane.splice(0, together === -1 ? lane.length : Math.max(together, 1));
    await decideAndAppend(store, stream, batch).catch((error: unknown) =>
      batch.forEach((queued) => queued.reject(error)),
    );
  }
  streams.delete(stream);
}

async function decideAndAppend<Command extends CommandMeta, Event extends DomainEvent, State>(
  store: EventStore,
  stream: string,
  batch: Queued<Command, Event, State>[],
): Promise<void> {
  const { decider } = batch[0];
  const startedAt = Date.now();
  // The first decision trusts the cached state, unread: if another writer appended since, the append's
  // revision check refuses it, and the batch is decided again on the state read from the log. A decision
  // that appends nothing (a no-op, or a refusal) has no such check, so it is never answered on trust.
  let trusted = true;
  for (let delay = RETRY.firstDelayMs; ; delay = Math.min(delay * 2, RETRY.maxDelayMs)) {
    let state: State;
    let revision: number;
    const cached = trusted ? statesOf(store, decider).get(stream) : undefined;
    try {
      ({ state, revision } = cached ?? (await currentState(store, stream, decider)));
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    const decided = batch.map((queued) => {
      try {
        const events = decider.decide(queued.command, state);
        state = events.reduce(decider.evolve, state);
        return { queued, events, state };
      } catch (error) {
        return { queued, error };
      }
    });
    trusted = false;
    if (cached && decided.some((d) => !d.events || d.events.length === 0)) continue;
    const toAppend = decided.flatMap((d) =>
      d.events ? d.events.map((event, index) => newEvent(event, index, d.queued)) : [],
    );
    try {
      const position =
        toAppend.length === 0
          ? 0
          : (await store.append(stream, toAppend, { expectedRevision: revision >= 0 ? revision : 'no_stream' }))
              .position;
      if (toAppend.length > 0) statesOf(store, decider).set(stream, { state, revision: revision + toAppend.length });
      for (const d of decided) {
        if (d.events)
          d.queued.resolve({ events: d.events, state: d.state, position: d.events.length > 0 ? position : 0 });
        else d.queued.reject(d.error);
      }
      return;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || Date.now() - startedAt > RETRY.budgetMs) {
        for (const queued of batch) queued.reject(error);
        return;
      }
      await sleep(Math.random() * delay);
    }
  }
}

function newEvent(
  event: DomainEvent,
  index: number,
  { command, options }: { command: CommandMeta; options: CommandOptions },
): NewEvent {
  return {
    id: options.eventId?.(index, event) ?? randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { actor: command.actor, ...(options.correlationId ? { correlation_id: options.correlationId } : {}) },
  };
}

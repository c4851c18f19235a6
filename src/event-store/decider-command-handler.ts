import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandMeta, CommandOptions, CommandResult, Decider, DomainEvent } from './decider.js';
import { WrongExpectedRevisionError, type EventStore, type NewEvent } from './event-store.js';
import { DEFAULT_STATE_CACHE_BYTES, StateCache } from './state-cache.js';

/**
 * Retries after a revision conflict: from `firstDelayMs`, doubling up to `maxDelayMs`, each with full
 * jitter, for at most `budgetMs` in all. Writers racing on one stream spread out instead of colliding again
 * in lockstep.
 */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 2, maxDelayMs: 100, budgetMs: 5_000 };

/** What a command is run against, in the shape of emmett's `CommandHandler`: a decider and its stream. */
export interface DeciderStream<Command extends CommandMeta, Event extends DomainEvent, State> {
  decider: Decider<Command, Event, State>;
  streamId: string;
  retry?: RetryPolicy;
}

interface Queued {
  target: DeciderStream<CommandMeta, DomainEvent, unknown>;
  command: CommandMeta;
  options: CommandOptions;
  resolve: (result: CommandResult<DomainEvent, unknown>) => void;
  reject: (error: unknown) => void;
}

/**
 * The one way a command reaches the log: every Nest command handler runs its decider through this
 * service. Load the stream, fold it, decide, append at the revision that was read. Another writer in between
 * makes the append fail with WrongExpectedRevisionError; the command is then decided again on the new
 * state, so concurrent commands never overwrite one another.
 *
 * Commands to one stream queue in its lane, so that concurrent writers in this process wait for one another
 * instead of colliding on its revision. A command to a free lane is decided and appended at once (the
 * store's group commit is the only place that waits to gather a batch); the commands that arrived meanwhile
 * are then decided one after the other on the state the previous one left, and appended together: one
 * revision check and one commit for them all. A command with its own event ids (a saga's step, whose ids
 * make a repeat a no-op in the store) is appended alone.
 *
 * The lanes and the folded states (StateCache) belong to this instance, which the app's DI container
 * holds: one per opened store.
 */
export class DeciderCommandHandler {
  private readonly lanes = new Map<string, Queued[]>();
  private readonly states: StateCache;

  constructor(
    readonly store: EventStore,
    options: { stateCacheBytes?: number } = {},
  ) {
    this.states = new StateCache(options.stateCacheBytes ?? DEFAULT_STATE_CACHE_BYTES);
  }

  handle<Command extends CommandMeta, Event extends DomainEvent, State>(
    target: DeciderStream<Command, Event, State>,
    command: Command,
    options: CommandOptions = {},
  ): Promise<CommandResult<Event, State>> {
    return new Promise((resolve, reject) => {
      const queued = { target, command, options, resolve, reject } as unknown as Queued;
      const lane = this.lanes.get(target.streamId);
      if (lane) {
        lane.push(queued);
        return;
      }
      this.lanes.set(target.streamId, [queued]);
      void this.drain(target.streamId);
    });
  }

  /** A stream's current state, folded from its events (and the cache). */
  async state<Command extends CommandMeta, Event extends DomainEvent, State>(
    target: Omit<DeciderStream<Command, Event, State>, 'retry'>,
  ): Promise<State> {
    return (await this.states.current(this.store, target.streamId, target.decider)).state;
  }

  private async drain(streamId: string): Promise<void> {
    const lane = this.lanes.get(streamId)!;
    for (;;) {
      const [first] = lane;
      const together = first.options.eventId
        ? 1
        : lane.findIndex(
            (queued) => queued.options.eventId !== undefined || queued.target.decider !== first.target.decider,
          );
      const batch = lane.splice(0, together === -1 ? lane.length : Math.max(together, 1));
      const settle = await this.decideAndAppend(batch).catch(
        (error: unknown) => () => batch.forEach((queued) => queued.reject(error)),
      );
      // The lane is let go before its callers hear back (their callbacks run later, as microtasks), so a
      // caller that sends its next command on the answer finds the lane free, whatever the timing.
      if (lane.length === 0) this.lanes.delete(streamId);
      settle();
      if (lane.length === 0) return;
    }
  }

  /** Decides and appends `batch`; answers how to settle each command's promise once the lane is let go. */
  private async decideAndAppend(batch: Queued[]): Promise<() => void> {
    const { decider, streamId, retry = DEFAULT_RETRY } = batch[0].target;
    const rejectAll = (error: unknown) => () => batch.forEach((queued) => queued.reject(error));
    const startedAt = Date.now();
    // The first decision trusts the cached state, unread: if another writer appended since, the append's
    // revision check refuses it, and the batch is decided again on the state read from the log. A decision
    // that appends nothing (a no-op, or a refusal) has no such check, so it is never answered on trust.
    let trusted = true;
    for (let delay = retry.firstDelayMs; ; delay = Math.min(delay * 2, retry.maxDelayMs)) {
      let state: unknown;
      let revision: number;
      const cached = trusted ? this.states.get(streamId, decider) : undefined;
      try {
        ({ state, revision } = cached ?? (await this.states.current(this.store, streamId, decider)));
      } catch (error) {
        return rejectAll(error);
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
            : (
                await this.store.append(streamId, toAppend, {
                  expectedRevision: revision >= 0 ? revision : 'no_stream',
                })
              ).position;
        if (toAppend.length > 0) this.states.set(streamId, decider, { state, revision: revision + toAppend.length });
        return () => {
          for (const d of decided) {
            if (d.events)
              d.queued.resolve({ events: d.events, state: d.state, position: d.events.length > 0 ? position : 0 });
            else d.queued.reject(d.error);
          }
        };
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError) || Date.now() - startedAt > retry.budgetMs) {
          return rejectAll(error);
        }
        await sleep(Math.random() * delay);
      }
    }
  }
}

function newEvent(event: DomainEvent, index: number, { command, options }: Queued): NewEvent {
  return {
    id: options.eventId?.(index, event) ?? randomUUID(),
    type: event.type,
    data: event.data,
    metadata: { actor: command.actor, ...(options.correlationId ? { correlation_id: options.correlationId } : {}) },
  };
}

import { connectWebviewDecider } from '../connect-webviews/index.js';
import { connectedAccountDecider } from '../connected-accounts/index.js';
import type { ConsumerHandler } from '../event-store/checkpointed-consumer.js';
import type { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { ReadModelDatabase } from '../read-models/read-model-database.js';
import { NotFound } from '../common/domain-errors.js';
import type { ParkedSagaEvents } from './parked-saga-events.js';
import { decideCompletion, type CompletionStep, type WebviewCompleted } from './completion.workflow.js';

export const COMPLETION_SAGA = 'completion_saga';

/** Attempts at one completion before it is parked (the consumer backs off between them: 0.1 s doubling). */
export const SAGA_ATTEMPTS_BEFORE_PARKING = 5;

/**
 * What the saga needs to run a completion: the states it decides the steps from, and a way to send each
 * step to its feature's command handler. In the app that way is the CommandBus (completion-steps.ts), the
 * same way in as HTTP's, so a step is decided and appended exactly as a request's command is.
 */
export interface CompletionCommands {
  states: Pick<DeciderCommandHandler, 'state' | 'store'>;
  send(step: CompletionStep): Promise<unknown>;
}

/**
 * The completion saga (process manager): a checkpointed consumer of the log that runs the completion
 * workflow's steps for each `WebviewCompleted`. Its checkpoint advances only after an event's steps all
 * succeeded, or after the event was parked: one that fails SAGA_ATTEMPTS_BEFORE_PARKING times in a row
 * goes to `ParkedSagaEvents` and the saga moves on. The steps are idempotent (see `decideCompletion`), so a
 * re-run, or an operator's retry of a parked event, changes nothing that was done.
 */
export class CompletionSaga implements ConsumerHandler {
  private failures = new Map<string, number>();

  constructor(
    private readonly commands: CompletionCommands,
    private readonly checkpoints: ReadModelDatabase,
    private readonly parked: ParkedSagaEvents,
  ) {}

  loadCheckpoint(): number {
    return this.checkpoints.checkpoint(COMPLETION_SAGA);
  }

  /**
   * One checkpoint write a batch, after every completion in it is done or parked. A batch that fails part
   * way is run again from its start: the completions already done change nothing the second time (their
   * steps are idempotent), and one already parked is left to the operator.
   */
  async handle(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type !== 'WebviewCompleted' || (await this.parked.find(event.id))) continue;
      await this.completeOrPark(event);
    }
    if (events.length > 0) this.checkpoints.setCheckpoint(COMPLETION_SAGA, events[events.length - 1].position);
  }

  private async completeOrPark(event: RecordedEvent): Promise<void> {
    try {
      await runCompletion(this.commands, event);
      this.failures.delete(event.id);
    } catch (error) {
      const attempts = (this.failures.get(event.id) ?? 0) + 1;
      if (attempts < SAGA_ATTEMPTS_BEFORE_PARKING) {
        this.failures.set(event.id, attempts);
        throw error;
      }
      this.failures.delete(event.id);
      await this.parked.park(event, attempts, error instanceof Error ? error.message : String(error));
    }
  }
}

/** Runs the completion workflow's steps for one `WebviewCompleted`: the saga's work, and a parked event's retry. */
export async function runCompletion(commands: CompletionCommands, event: RecordedEvent): Promise<void> {
  const completed = event.data as WebviewCompleted['data'];
  const [webview, account] = await Promise.all([
    commands.states.state({
      decider: connectWebviewDecider,
      streamId: streams.connectWebview(completed.connect_webview_id),
    }),
    commands.states.state({
      decider: connectedAccountDecider,
      streamId: streams.connectedAccount(completed.connected_account_id),
    }),
  ]);
  // The account was deleted since: its login's email and devices are erased, and nothing is left to do.
  if (account.deleted || event.metadata.erased_fields !== undefined) return;
  const steps = decideCompletion({
    eventId: event.id,
    correlationId: event.metadata.correlation_id,
    completed,
    webview,
    account,
  });
  for (const step of steps) await commands.send(step);
}

/** An operator's retry of a parked event: run again from the log; unparked if it passes, kept if not. */
export async function retryParkedEvent(
  commands: CompletionCommands,
  parked: ParkedSagaEvents,
  eventId: string,
): Promise<{ event_id: string; completed: boolean; error?: string }> {
  const entry = await parked.find(eventId);
  if (!entry) throw new NotFound('parked_saga_event', 'event_id', eventId);
  const [event] = await commands.states.store.readStream(entry.stream, { fromRevision: entry.revision, maxCount: 1 });
  try {
    await runCompletion(commands, event);
  } catch (error) {
    return { event_id: eventId, completed: false, error: error instanceof Error ? error.message : String(error) };
  }
  await parked.remove(eventId);
  return { event_id: eventId, completed: true };
}

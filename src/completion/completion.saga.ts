import { connectWebviewDecider } from '../connect-webviews/index.js';
import { connectedAccountDecider } from '../connected-accounts/index.js';
import { deviceDecider } from '../devices/index.js';
import type { ConsumerHandler } from '../event-store/checkpointed-consumer.js';
import { handleCommand, loadState } from '../event-store/handle-command.js';
import type { EventStore, RecordedEvent } from '../event-store/event-store.js';
import { streams } from '../event-store/streams.js';
import type { ReadModelDatabase } from '../read-models/read-model-database.js';
import { decideCompletion, type CompletionStep, type WebviewCompleted } from './completion.workflow.js';

export const COMPLETION_SAGA = 'completion_saga';

/**
 * The completion saga (process manager): a checkpointed consumer of the log that runs the completion
 * workflow's steps for each `WebviewCompleted`. Its checkpoint advances only after an event's steps all
 * succeeded; the steps are idempotent (see `decideCompletion`), so a re-run changes nothing.
 */
export class CompletionSaga implements ConsumerHandler {
  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: ReadModelDatabase,
  ) {}

  loadCheckpoint(): number {
    return this.checkpoints.checkpoint(COMPLETION_SAGA);
  }

  async handle(events: RecordedEvent[]): Promise<void> {
    for (const event of events) {
      if (event.type === 'WebviewCompleted') await this.complete(event);
      this.checkpoints.setCheckpoint(COMPLETION_SAGA, event.position);
    }
  }

  private async complete(event: RecordedEvent): Promise<void> {
    const completed = event.data as WebviewCompleted['data'];
    const [webview, account] = await Promise.all([
      loadState(this.store, streams.connectWebview(completed.connect_webview_id), connectWebviewDecider),
      loadState(this.store, streams.connectedAccount(completed.connected_account_id), connectedAccountDecider),
    ]);
    const steps = decideCompletion({
      eventId: event.id,
      correlationId: event.metadata.correlation_id,
      completed,
      webview,
      account,
    });
    for (const step of steps) await this.run(step);
  }

  private async run(step: CompletionStep): Promise<void> {
    const options = { eventId: step.eventId, correlationId: step.correlationId };
    switch (step.target) {
      case 'connected_account':
        await handleCommand(this.store, step.stream, connectedAccountDecider, step.command, options);
        return;
      case 'device':
        await handleCommand(this.store, step.stream, deviceDecider, step.command, options);
        return;
      case 'connect_webview':
        await handleCommand(this.store, step.stream, connectWebviewDecider, step.command, options);
        return;
    }
  }
}

import { metrics } from '../common/metrics.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../common/config.js';
import {
  countPublicEvents,
  findPublicEvent,
  findPublicEvents,
  lastPublicEventBefore,
  sequenceAt,
  type PublicEvent,
} from '../events/index.js';
import type { ReadModelDatabase } from '../read-models/read-model-database.js';
import { MAX_ATTEMPTS, MAX_DELAY_MS, type DeliveryState, type DeliveryStore } from './delivery-store.js';
import { signatureHeaders } from './webhook-signing.js';
import { postToWebhook } from './webhook-request.js';
import { resolveWebhookTarget } from './webhook-target.js';
import { listWebhooks, signingSecrets, type WebhookRecord } from './webhook.projection.js';

/**
 * At-least-once delivery of public events to webhooks. Each webhook has its own worker and its own
 * checkpoint (`after_sequence`), so a slow or dead receiver never delays another. A webhook's events go in
 * order; a failed one is retried with exponential backoff (WEBHOOK_RETRY_BASE_MS doubling, at most 6 h
 * apart) and, after MAX_ATTEMPTS, given up on and counted so the next can go. State is written after every
 * attempt: a restart resumes exactly where the last one stopped.
 */
export class WebhookDispatcher {
  private readonly workers = new Map<string, { stop: AbortController; done: Promise<void> }>();
  private sync: NodeJS.Timeout | undefined;

  constructor(
    private readonly readModels: ReadModelDatabase,
    private readonly deliveries: DeliveryStore,
    private readonly config: AppConfig['webhooks'],
    private readonly logger: { error(message: string): void },
  ) {}

  start(): void {
    this.syncWorkers();
    this.sync = setInterval(() => this.syncWorkers(), 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.sync);
    const workers = [...this.workers.values()];
    workers.forEach((w) => w.stop.abort());
    await Promise.all(workers.map((w) => w.done));
    this.workers.clear();
  }

  /** A worker for every webhook in the read models; none for deleted ones. */
  private syncWorkers(): void {
    const webhooks = listWebhooks(this.readModels.db);
    const live = new Set(webhooks.map((w) => w.webhook_id));
    for (const [id, worker] of this.workers) {
      if (!live.has(id)) {
        worker.stop.abort();
        this.workers.delete(id);
      }
    }
    for (const webhook of webhooks) {
      if (this.workers.has(webhook.webhook_id)) continue;
      const stop = new AbortController();
      this.workers.set(webhook.webhook_id, {
        stop,
        done: this.work(webhook.webhook_id, webhook.workspace_id, webhook.created_position, stop.signal),
      });
    }
  }

  private async work(
    webhookId: string,
    workspaceId: string,
    createdPosition: number,
    signal: AbortSignal,
  ): Promise<void> {
    const pause = (ms: number) => sleep(ms, undefined, { signal }).catch(() => undefined);
    while (!signal.aborted) {
      try {
        const webhook = listWebhooks(this.readModels.db, workspaceId).find((w) => w.webhook_id === webhookId);
        if (!webhook) return;
        const logId = this.readModels.logId() ?? null;
        let state =
          (await this.deliveries.get(webhookId)) ??
          (await this.deliveries.initialise(webhookId, eventsBefore(this.readModels, createdPosition), logId));
        if (logId !== null && state.log_id !== logId) {
          if (!(await this.rebase(state, workspaceId, createdPosition, logId))) {
            await pause(500); // the read models are still being rebuilt from the new log
            continue;
          }
          state = (await this.deliveries.get(webhookId))!;
        }
        const wait = state.next_attempt_at ? Date.parse(state.next_attempt_at) - Date.now() : 0;
        if (wait > 0) {
          await pause(Math.min(wait, 250));
          continue;
        }
        const [next] = findPublicEvents(
          this.readModels.db,
          workspaceId,
          { afterSequence: state.after_sequence, eventTypes: webhook.event_types ?? undefined },
          1,
        );
        if (!next) {
          await pause(100);
          continue;
        }
        await this.attempt(webhook, state, next.sequence, next.event, signal);
      } catch (error) {
        this.logger.error(`webhook ${webhookId}: ${String(error)}`);
        await pause(1000);
      }
    }
  }

  /**
   * Progress kept in another log's sequences (a switch of store), or before logs had ids: found again in
   * this log by the id of the last event done with, so a switch never delivers history again. False while
   * that event is not in the read models yet (they are being rebuilt).
   */
  private async rebase(
    state: DeliveryState,
    workspaceId: string,
    createdPosition: number,
    logId: string,
  ): Promise<boolean> {
    if (state.log_id === null) {
      await this.deliveries.rebase(state.webhook_id, state.after_sequence, logId); // the same log, from before ids
      return true;
    }
    if (state.after_event_id === null) {
      await this.deliveries.rebase(state.webhook_id, eventsBefore(this.readModels, createdPosition), logId);
      return true;
    }
    const last = findPublicEvent(this.readModels.db, workspaceId, state.after_event_id);
    if (!last) return false;
    await this.deliveries.rebase(state.webhook_id, last.sequence, logId);
    return true;
  }

  private async attempt(
    webhook: WebhookRecord,
    state: DeliveryState,
    sequence: number,
    event: PublicEvent,
    stop: AbortSignal,
  ): Promise<void> {
    const timed = metrics.webhookDeliveryDuration.startTimer();
    const outcome = await this.deliver(webhook, event, stop);
    // Stopped mid-delivery (shutdown, webhook deleted): not the receiver's failure; the next run retries it.
    if (stop.aborted) return;
    const attempt = state.attempt + 1;
    const result = outcome.ok ? 'delivered' : attempt >= MAX_ATTEMPTS ? 'abandoned' : 'failed';
    timed({ outcome: result });
    metrics.webhookDeliveries.inc({ outcome: result });
    const at = new Date().toISOString();
    if (outcome.ok) {
      await this.deliveries.delivered(webhook.webhook_id, sequence, event.event_id, at);
      return;
    }
    if (attempt >= MAX_ATTEMPTS) {
      this.logger.error(
        `webhook ${webhook.webhook_id}: gave up on event ${event.event_id} after ${attempt} attempts: ${outcome.message}`,
      );
      await this.deliveries.failed(webhook.webhook_id, {
        at,
        status: outcome.status,
        message: outcome.message,
        nextAttemptAt: null,
        giveUp: { sequence, eventId: event.event_id },
      });
      return;
    }
    const delay = Math.min(this.config.retryBaseMs * 2 ** (attempt - 1), MAX_DELAY_MS);
    await this.deliveries.failed(webhook.webhook_id, {
      at,
      status: outcome.status,
      message: outcome.message,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    });
  }

  private async deliver(
    webhook: WebhookRecord,
    event: PublicEvent,
    stop: AbortSignal,
  ): Promise<{ ok: true } | { ok: false; status: number | null; message: string }> {
    try {
      const target = await resolveWebhookTarget(webhook.url, this.config.allowPrivateTargets);
      const body = JSON.stringify(event);
      const headers = {
        'content-type': 'application/json',
        ...signatureHeaders(signingSecrets(webhook), event.event_id, body, Math.floor(Date.now() / 1000)),
      };
      // Redirects are not followed (they could point anywhere, internal addresses included): a 3xx fails.
      const status = await postToWebhook(target, headers, body, this.config.timeoutMs, stop);
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, status, message: `answered ${status}` };
    } catch (error) {
      return { ok: false, status: null, message: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Events not yet delivered, summed over every webhook: `webhook_events_pending`. */
  async pendingEvents(): Promise<number> {
    let pending = 0;
    for (const webhook of listWebhooks(this.readModels.db)) pending += (await this.deliveryOf(webhook)).pending_count;
    return pending;
  }

  /** What the webhook object shows of its deliveries. */
  async deliveryOf(webhook: WebhookRecord) {
    const state = await this.deliveries.get(webhook.webhook_id);
    const after = state?.after_sequence ?? eventsBefore(this.readModels, webhook.created_position);
    const pending = countPublicEvents(
      this.readModels.db,
      webhook.workspace_id,
      after,
      webhook.event_types ?? undefined,
    );
    return {
      pending_count: pending,
      last_success_at: state?.last_success_at ?? null,
      last_failure:
        state?.last_failure_at != null
          ? { at: state.last_failure_at, status: state.last_failure_status, message: state.last_failure_message }
          : null,
      next_attempt_at: state?.next_attempt_at ?? null,
      abandoned_count: state?.abandoned_count ?? 0,
    };
  }
}

/** The last public event sequence before the log position at which the webhook was created. */
function eventsBefore(readModels: ReadModelDatabase, createdPosition: number): number {
  return lastPublicEventBefore(readModels.db, sequenceAt(createdPosition));
}

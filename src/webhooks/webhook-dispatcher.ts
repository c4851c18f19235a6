import { metrics } from '../common/metrics.js';
import type { CustomMetadata } from '../custom-metadata/custom-metadata.js';
import {
  matchesMetadataTerms,
  metadataTerms,
  type CustomMetadataMatch,
  type MetadataTerm,
} from '../custom-metadata/custom-metadata-selector.js';
import type { AppConfig } from '../common/config.js';
import {
  countPendingPublicEvents,
  EXTENSION_EVENT_TYPES,
  findPublicEvent,
  findPublicEvents,
  lastPublicEventBefore,
  newestPublicEventSequenceOfAll,
  publicEventsAfter,
  sequenceAt,
  type FannedOutEvent,
  type PublicEvent,
} from '../events/index.js';
import type { ReadModelDatabase } from '../read-models/read-model-database.js';
import type { DeliveryState, DeliveryStore } from './delivery-store.js';
import { nextAttemptAt } from './retry-schedule.js';
import { signatureHeaders } from './webhook-signing.js';
import { DeliveryTimeout, postToWebhook } from './webhook-request.js';
import { resolveWebhookTarget, WebhookTargetError } from './webhook-target.js';
import { listWebhooks, signingSecrets, webhookSetVersion, type WebhookRecord } from './webhook.projection.js';

/** After a failed look at the read models, the next one: a back-off, not a poll. */
const RETRY_TICK_MS = 1000;
/** Events a webhook may have waiting in memory; beyond it, it reads them from the read models as it goes. */
const QUEUE_LIMIT = 100;
/** Events read from the read models per fan-out step. */
const FAN_OUT_BATCH = 500;

type Entry = { sequence: number; event: PublicEvent };

/** One webhook as the dispatcher keeps it. */
interface Subscriber {
  record: WebhookRecord;
  /** The event types it wants: a set, or null for every type but the extensions (opt-in). */
  types: ReadonlySet<string> | null;
  /** What its metadata selector asks of an event's snapshots (`selectorOf`); null: nothing. */
  selector: SelectorTerms | null;
  /** Events fanned out to it, oldest first; `behind` while it must read them from the read models. */
  queue: Entry[] | 'behind';
  state: DeliveryState | undefined;
  /** Set while a delivery runs; aborted when the webhook is deleted or the dispatcher stops. */
  inFlight: AbortController | undefined;
  /** Waiting for a retry until then (ms since the epoch). */
  dueAt: number;
}

/**
 * At-least-once delivery of public events to webhooks. One dispatcher reads each new public event once, and
 * fans it out through a map of workspace to webhooks to those that want its type. Deliveries run from one
 * bounded pool (WEBHOOK_DELIVERY_CONCURRENCY), taken in turn by the workspaces that have something to deliver
 * and at most a quarter of it by any one, so one workspace's slow receivers never hold up another's. Each
 * webhook keeps its own checkpoint (`after_sequence`), so a slow or dead receiver never delays another: its
 * events go in order; a failed one is retried on Seam's schedule (WEBHOOK_RETRY_SCHEDULE_MS) and, after its
 * last retry, given up on and counted so the next can go. State is written after
 * every attempt: a restart resumes exactly where the last one stopped.
 *
 * It looks for new events and changed webhooks when the read models move on (`notify`, which the projector
 * calls after each batch: two reads of one row, however many webhooks there are), and wakes on a timer only
 * when a retry falls due. Idle, it does nothing.
 */
export class WebhookDispatcher {
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly byWorkspace = new Map<string, Set<Subscriber>>();
  /** Workspaces in the order they next get a delivery slot. */
  private turn: string[] = [];
  private readonly inFlightPerWorkspace = new Map<string, number>();
  private inFlight = 0;
  private readonly ready = new Set<Subscriber>();
  /** Those waiting for a retry (`dueAt` set). */
  private readonly waiting = new Set<Subscriber>();
  private readonly running = new Set<Promise<void>>();
  private fannedOutTo = -1;
  private setVersion = -1;
  /** Set for the earliest retry that is due, at that moment. */
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private started = false;

  constructor(
    private readonly readModels: ReadModelDatabase,
    private readonly deliveries: DeliveryStore,
    private readonly config: AppConfig['webhooks'],
    private readonly logger: { error(message: string): void },
  ) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.fannedOutTo = newestPublicEventSequenceOfAll(this.readModels.db);
    this.tick();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timerAt = Infinity;
    for (const subscriber of this.subscribers.values()) subscriber.inFlight?.abort();
    await Promise.all(this.running);
    this.subscribers.clear();
    this.byWorkspace.clear();
    this.ready.clear();
    this.waiting.clear();
    this.turn = [];
    this.setVersion = -1;
  }

  /** The read models moved on: new events, or a created, changed or deleted webhook, may be there. */
  notify(): void {
    this.tick();
  }

  private tick(): void {
    if (!this.started) return;
    try {
      this.syncSubscribers();
      this.fanOut();
      this.wakeDue();
      this.schedule();
      let earliest = Infinity;
      for (const subscriber of this.waiting) earliest = Math.min(earliest, subscriber.dueAt);
      this.wakeAt(earliest);
    } catch (error) {
      this.logger.error(`webhook dispatcher: ${String(error)}`);
      this.wakeAt(Date.now() + RETRY_TICK_MS);
    }
  }

  /** Ticks at `at` (ms since the epoch), unless a tick is already set for sooner. */
  private wakeAt(at: number): void {
    if (!Number.isFinite(at) || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timerAt = Infinity;
        this.tick();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** Re-reads the webhooks only when one was created, changed or deleted. */
  private syncSubscribers(): void {
    const version = webhookSetVersion(this.readModels.db);
    if (version === this.setVersion) return;
    this.setVersion = version;
    const live = new Map(listWebhooks(this.readModels.db).map((w) => [w.webhook_id, w]));
    for (const [id, subscriber] of this.subscribers) {
      if (live.has(id)) continue;
      subscriber.inFlight?.abort();
      this.subscribers.delete(id);
      this.byWorkspace.get(subscriber.record.workspace_id)?.delete(subscriber);
      this.ready.delete(subscriber);
      this.waiting.delete(subscriber);
    }
    for (const record of live.values()) {
      const known = this.subscribers.get(record.webhook_id);
      if (known) {
        // Its types or selector may have changed: what was queued for it may be wrong, so it reads on from
        // its checkpoint.
        const wanted = (r: WebhookRecord) => JSON.stringify([r.event_types, r.metadata_selector]);
        if (wanted(known.record) !== wanted(record)) {
          known.queue = 'behind';
          known.types = typesOf(record);
          known.selector = selectorOf(record);
          this.ready.add(known);
        }
        known.record = record;
        continue;
      }
      const subscriber: Subscriber = {
        record,
        types: typesOf(record),
        selector: selectorOf(record),
        queue: 'behind',
        state: undefined,
        inFlight: undefined,
        dueAt: 0,
      };
      this.subscribers.set(record.webhook_id, subscriber);
      let group = this.byWorkspace.get(record.workspace_id);
      if (!group) {
        group = new Set();
        this.byWorkspace.set(record.workspace_id, group);
        this.turn.push(record.workspace_id);
      }
      group.add(subscriber);
      this.ready.add(subscriber);
    }
    this.turn = this.turn.filter((workspaceId) => (this.byWorkspace.get(workspaceId)?.size ?? 0) > 0);
    for (const [workspaceId, group] of this.byWorkspace) if (group.size === 0) this.byWorkspace.delete(workspaceId);
  }

  /** Reads each new public event once and hands it to the webhooks of its workspace that want it. */
  private fanOut(): void {
    if (newestPublicEventSequenceOfAll(this.readModels.db) <= this.fannedOutTo) return;
    for (;;) {
      const rows = publicEventsAfter(this.readModels.db, this.fannedOutTo, FAN_OUT_BATCH);
      for (const row of rows) {
        this.fannedOutTo = row.sequence;
        const group = this.byWorkspace.get(row.workspace_id);
        if (!group) continue;
        let event: PublicEvent | undefined;
        for (const subscriber of group) {
          if (!wants(subscriber, row) || subscriber.queue === 'behind') continue;
          if (subscriber.queue.length >= QUEUE_LIMIT) {
            subscriber.queue = 'behind';
          } else {
            event ??= JSON.parse(row.body) as PublicEvent;
            subscriber.queue.push({ sequence: row.sequence, event });
          }
          this.ready.add(subscriber);
        }
      }
      if (rows.length < FAN_OUT_BATCH) return;
    }
  }

  /** Webhooks whose retry is due are ready again. */
  private wakeDue(): void {
    const now = Date.now();
    for (const subscriber of this.waiting) {
      if (subscriber.dueAt <= now) {
        subscriber.dueAt = 0;
        this.waiting.delete(subscriber);
        this.ready.add(subscriber);
      }
    }
  }

  /** Fills the pool from the ready webhooks, one workspace after another. */
  private schedule(): void {
    const perWorkspace = Math.max(1, Math.floor(this.config.deliveryConcurrency / 4));
    let idleRounds = 0;
    while (this.inFlight < this.config.deliveryConcurrency && this.ready.size > 0 && idleRounds < this.turn.length) {
      const workspaceId = this.turn.shift()!;
      this.turn.push(workspaceId);
      const group = this.byWorkspace.get(workspaceId);
      const next =
        (this.inFlightPerWorkspace.get(workspaceId) ?? 0) < perWorkspace
          ? [...(group ?? [])].find((s) => this.ready.has(s) && !s.inFlight)
          : undefined;
      if (!next) {
        idleRounds++;
        continue;
      }
      idleRounds = 0;
      this.ready.delete(next);
      this.run(next);
    }
  }

  private run(subscriber: Subscriber): void {
    const workspaceId = subscriber.record.workspace_id;
    const stop = new AbortController();
    subscriber.inFlight = stop;
    this.inFlight++;
    this.inFlightPerWorkspace.set(workspaceId, (this.inFlightPerWorkspace.get(workspaceId) ?? 0) + 1);
    const done = this.step(subscriber, stop.signal)
      .catch((error: unknown) => {
        this.logger.error(`webhook ${subscriber.record.webhook_id}: ${String(error)}`);
        subscriber.dueAt = Date.now() + 1000;
        return false;
      })
      .then((more) => {
        subscriber.inFlight = undefined;
        this.inFlight--;
        this.inFlightPerWorkspace.set(workspaceId, (this.inFlightPerWorkspace.get(workspaceId) ?? 1) - 1);
        this.running.delete(done);
        if (!this.started || !this.subscribers.has(subscriber.record.webhook_id)) return;
        if (subscriber.dueAt !== 0) {
          this.waiting.add(subscriber);
          this.wakeAt(subscriber.dueAt);
        } else if (more) this.ready.add(subscriber);
        this.schedule();
      });
    this.running.add(done);
  }

  /** One delivery attempt of the webhook's next event; true when it may have another at once. */
  private async step(subscriber: Subscriber, signal: AbortSignal): Promise<boolean> {
    const state = await this.currentState(subscriber);
    if (!state) return false; // its progress is counted in another log, whose events are not in yet
    const due = state.next_attempt_at ? Date.parse(state.next_attempt_at) : 0;
    if (due > Date.now()) {
      subscriber.dueAt = due;
      return false;
    }
    const next = this.nextEvent(subscriber, state);
    if (!next) return false;
    await this.attempt(subscriber, next.sequence, next.event, signal);
    return !signal.aborted && subscriber.dueAt === 0;
  }

  /** The webhook's delivery state, created with it and re-counted in this log after a switch of log. */
  private async currentState(subscriber: Subscriber): Promise<DeliveryState | undefined> {
    const { webhook_id: webhookId, workspace_id: workspaceId, created_position } = subscriber.record;
    const logId = this.readModels.logId() ?? null;
    let state =
      subscriber.state ??
      (await this.deliveries.get(webhookId)) ??
      (await this.deliveries.initialise(webhookId, eventsBefore(this.readModels, created_position), logId));
    if (logId !== null && state.log_id !== logId) {
      if (!(await this.rebase(state, workspaceId, created_position, logId))) {
        subscriber.dueAt = Date.now() + 500; // the read models are still being rebuilt from the new log
        subscriber.state = undefined;
        return undefined;
      }
      state = (await this.deliveries.get(webhookId))!;
      subscriber.queue = 'behind';
    }
    subscriber.state = state;
    return state;
  }

  /**
   * Its next event: from what was fanned out to it, or, while behind, from the read models. Behind and finding
   * nothing up to what has been fanned out, it is caught up: the fan-out hands it what comes next.
   */
  private nextEvent(subscriber: Subscriber, state: DeliveryState): Entry | undefined {
    if (subscriber.queue !== 'behind') {
      while (subscriber.queue.length > 0 && subscriber.queue[0].sequence <= state.after_sequence)
        subscriber.queue.shift();
      return subscriber.queue[0];
    }
    const [next] = findPublicEvents(
      this.readModels.db,
      subscriber.record.workspace_id,
      {
        afterSequence: state.after_sequence,
        eventTypes: subscriber.record.event_types ?? undefined,
        customMetadataMatch: subscriber.record.metadata_selector?.custom_metadata_match,
        connectedAccountCustomMetadataMatch:
          subscriber.record.metadata_selector?.connected_account_custom_metadata_match,
      },
      1,
    );
    if (!next) subscriber.queue = [];
    return next;
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

  private async attempt(subscriber: Subscriber, sequence: number, event: PublicEvent, stop: AbortSignal) {
    const webhook = subscriber.record;
    const state = subscriber.state!;
    const timed = metrics.webhookDeliveryDuration.startTimer();
    const outcome = await this.deliver(webhook, event, stop);
    // Stopped mid-delivery (shutdown, webhook deleted): not the receiver's failure; the next run retries it.
    if (stop.aborted) return;
    const attempt = state.attempt + 1;
    const failedAt = Date.now();
    const retryAt = outcome.ok ? null : nextAttemptAt(this.config.retryDelaysMs, attempt, failedAt);
    const result = outcome.ok ? 'delivered' : retryAt === null ? 'abandoned' : 'failed';
    timed({ outcome: result });
    metrics.webhookDeliveries.inc({ outcome: result });
    const at = new Date(failedAt).toISOString();
    subscriber.state = undefined; // re-read after this write
    if (outcome.ok) {
      await this.deliveries.delivered(webhook.webhook_id, sequence, event.event_id, at);
      return;
    }
    if (retryAt === null) {
      this.logger.error(
        `webhook ${webhook.webhook_id}: gave up on event ${event.event_id} after ${attempt} attempts: ${outcome.reason}`,
      );
      await this.deliveries.failed(webhook.webhook_id, {
        at,
        status: outcome.status,
        message: outcome.reason,
        nextAttemptAt: null,
        giveUp: { sequence, eventId: event.event_id },
      });
      return;
    }
    // Even an immediate retry waits for the next tick, after this failure's state is written.
    subscriber.dueAt = retryAt;
    await this.deliveries.failed(webhook.webhook_id, {
      at,
      status: outcome.status,
      message: outcome.reason,
      nextAttemptAt: new Date(retryAt).toISOString(),
    });
  }

  private async deliver(
    webhook: WebhookRecord,
    event: PublicEvent,
    stop: AbortSignal,
  ): Promise<{ ok: true } | { ok: false; status: number | null; reason: DeliveryFailureReason }> {
    try {
      const target = await resolveWebhookTarget(webhook.url, this.config);
      const body = JSON.stringify(event);
      const headers = {
        'content-type': 'application/json',
        ...signatureHeaders(signingSecrets(webhook), event.event_id, body, Math.floor(Date.now() / 1000)),
      };
      // Redirects are not followed (they could point anywhere, internal addresses included): a 3xx fails.
      const status = await postToWebhook(target, headers, body, this.config.timeoutMs, stop);
      if (status >= 200 && status < 300) return { ok: true };
      return { ok: false, status, reason: status >= 300 && status < 400 ? 'redirect' : 'http_status' };
    } catch (error) {
      return { ok: false, status: null, reason: failureReason(error) };
    }
  }

  /** Events not yet delivered, summed over every webhook: `webhook_events_pending`. */
  async pendingEvents(): Promise<number> {
    const webhooks = listWebhooks(this.readModels.db);
    const pending = await this.pendingCounts(webhooks);
    return [...pending.values()].reduce((sum, n) => sum + n, 0);
  }

  /** What each webhook object shows of its deliveries, the pending counts from one grouped query. */
  async deliveryOf(webhooks: readonly WebhookRecord[]) {
    const states = new Map(
      await Promise.all(webhooks.map(async (w) => [w.webhook_id, await this.deliveries.get(w.webhook_id)] as const)),
    );
    const pending = await this.pendingCounts(webhooks, states);
    return new Map(
      webhooks.map((webhook) => {
        const state = states.get(webhook.webhook_id);
        return [
          webhook.webhook_id,
          {
            pending_count: pending.get(webhook.webhook_id) ?? 0,
            last_success_at: state?.last_success_at ?? null,
            last_failure:
              state?.last_failure_at != null
                ? { at: state.last_failure_at, status: state.last_failure_status, message: state.last_failure_message }
                : null,
            next_attempt_at: state?.next_attempt_at ?? null,
            abandoned_count: state?.abandoned_count ?? 0,
          },
        ];
      }),
    );
  }

  private async pendingCounts(
    webhooks: readonly WebhookRecord[],
    states?: ReadonlyMap<string, DeliveryState | undefined>,
  ): Promise<Map<string, number>> {
    const known = states ?? new Map((await this.deliveries.all()).map((s) => [s.webhook_id, s]));
    return countPendingPublicEvents(
      this.readModels.db,
      webhooks.map((webhook) => ({
        id: webhook.webhook_id,
        workspaceId: webhook.workspace_id,
        afterSequence:
          known.get(webhook.webhook_id)?.after_sequence ?? eventsBefore(this.readModels, webhook.created_position),
        eventTypes: webhook.event_types,
        metadataSelector: webhook.metadata_selector,
      })),
    );
  }
}

/**
 * Why a delivery failed, as a class: the receiver's own words and the connection's raw error stay out of the
 * webhook object, which would otherwise tell whoever owns a webhook what listens where.
 */
export type DeliveryFailureReason =
  | 'http_status'
  | 'redirect'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'host_unreachable'
  | 'tls_error'
  | 'dns_failure'
  | 'dns_timeout'
  | 'port_not_allowed'
  | 'address_not_allowed'
  | 'invalid_url'
  | 'network_error';

export function failureReason(error: unknown): DeliveryFailureReason {
  if (error instanceof WebhookTargetError) return error.reason;
  if (error instanceof DeliveryTimeout) return 'timeout';
  const code = String((error as { code?: unknown })?.code ?? '');
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host_unreachable';
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return 'tls_error';
  return 'network_error';
}

function typesOf(record: WebhookRecord): ReadonlySet<string> | null {
  return record.event_types ? new Set(record.event_types) : null;
}

interface SelectorTerms {
  own: MetadataTerm[] | null;
  account: MetadataTerm[] | null;
}

function selectorOf(record: WebhookRecord): SelectorTerms | null {
  const selector = record.metadata_selector;
  if (!selector) return null;
  const terms = (match: CustomMetadataMatch | undefined) => (match ? metadataTerms(undefined, match) : null);
  return {
    own: terms(selector.custom_metadata_match),
    account: terms(selector.connected_account_custom_metadata_match),
  };
}

function wants(subscriber: Subscriber, row: FannedOutEvent): boolean {
  const type = row.event_type;
  if (subscriber.types ? !subscriber.types.has(type) : EXTENSION_TYPES.has(type)) return false;
  const selector = subscriber.selector;
  if (!selector) return true;
  // An event without that resource (a webview's, for an account selector) matches no selector on it.
  const matches = (snapshot: string | null, terms: MetadataTerm[] | null) =>
    terms === null || (snapshot !== null && matchesMetadataTerms(JSON.parse(snapshot) as CustomMetadata, terms));
  return matches(row.subject_custom_metadata, selector.own) && matches(row.account_custom_metadata, selector.account);
}

const EXTENSION_TYPES: ReadonlySet<string> = new Set(EXTENSION_EVENT_TYPES);

/** The last public event sequence before the log position at which the webhook was created. */
function eventsBefore(readModels: ReadModelDatabase, createdPosition: number): number {
  return lastPublicEventBefore(readModels.db, sequenceAt(createdPosition));
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series the service exports, defined here and nowhere else; the code that sees each thing
 * happen updates it. Served on METRICS_PORT (serve.ts), never on the API's port. What to alert on is in the
 * README's "Operating it".
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpRequests: new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [metricsRegistry],
  }),
  httpRequestDuration: new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: seconds,
    registers: [metricsRegistry],
  }),
  rateLimited: new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests answered 429 (per-key rate limit, login lockout, event streams per key), by route template',
    labelNames: ['route'] as const,
    registers: [metricsRegistry],
  }),
  appendDuration: new Histogram({
    name: 'event_store_append_duration_seconds',
    help: 'Time for an append to be committed, from the call to the answer (group commit wait included)',
    buckets: seconds,
    registers: [metricsRegistry],
  }),
  eventsPerCommit: new Histogram({
    name: 'event_store_events_per_commit',
    help: 'Events written by one commit of the event store (group commit puts many appends in one)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [metricsRegistry],
  }),
  webhookDeliveries: new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed (will be retried), abandoned (given up on)',
    labelNames: ['outcome'] as const,
    registers: [metricsRegistry],
  }),
  webhookDeliveryDuration: new Histogram({
    name: 'webhook_delivery_duration_seconds',
    help: 'Time one webhook delivery attempt took, by outcome',
    labelNames: ['outcome'] as const,
    buckets: seconds,
    registers: [metricsRegistry],
  }),
  sseConnections: new Gauge({
    name: 'sse_connections',
    help: 'Open /events/stream connections',
    registers: [metricsRegistry],
  }),
};

/**
 * Series whose value is read when scraped (a consumer's lag needs the log's head): each is a gauge whose
 * `collect` asks its source. `register` is called once the sources exist (CoreModule, WebhookDelivery).
 */
export const collectedMetrics = {
  consumerLag: new Gauge({
    name: 'event_store_consumer_lag_events',
    help: "Events between the log's head and each consumer's checkpoint (0 once caught up)",
    labelNames: ['consumer'] as const,
    registers: [metricsRegistry],
  }),
  consumerFailing: new Gauge({
    name: 'event_store_consumer_failing',
    help: 'Whether each consumer is failing and retrying (1) or not (0)',
    labelNames: ['consumer'] as const,
    registers: [metricsRegistry],
  }),
  webhookEventsPending: new Gauge({
    name: 'webhook_events_pending',
    help: 'Events not yet delivered to their webhooks, summed over every webhook (this instance delivers or not)',
    registers: [metricsRegistry],
  }),
  sagaParkedEvents: new Gauge({
    name: 'saga_parked_events',
    help: 'Completion events the saga parked after repeated failures (cli saga parked lists them)',
    registers: [metricsRegistry],
  }),
  projectionVersion: new Gauge({
    name: 'read_model_projection_version',
    help: "The version of each projection's live tables (older than the build's while it is rebuilt)",
    labelNames: ['projection'] as const,
    registers: [metricsRegistry],
  }),
  projectionRebuildPosition: new Gauge({
    name: 'read_model_rebuild_position',
    help: 'How far the rebuild of each projection being rebuilt has read the log (see its target)',
    labelNames: ['projection'] as const,
    registers: [metricsRegistry],
  }),
  projectionRebuildTarget: new Gauge({
    name: 'read_model_rebuild_target',
    help: "The log's head when each projection being rebuilt started",
    labelNames: ['projection'] as const,
    registers: [metricsRegistry],
  }),
};

/** Has `read` set the gauge's value(s) at each scrape. */
export function collectFrom(gauge: Gauge, read: (gauge: Gauge) => Promise<void> | void): void {
  (gauge as unknown as { collect: () => Promise<void> | void }).collect = () => read(gauge);
}

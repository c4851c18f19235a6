import { deterministicId } from '../common/deterministic-id.js';
import type { EventStore } from './event-store.js';

/** How long a key names its first request, as Stripe keeps keys: after that, the same key is a new request. */
export const IDEMPOTENCY_KEY_KEPT_MS = 24 * 60 * 60 * 1000;

/** A create sent with an `Idempotency-Key`: the key, and the hash of the request it came with. */
export interface IdempotentCreate {
  key: string;
  requestHash: string;
}

/**
 * The id of the resource a create with this key makes: derived from the workspace, the route and the key, so
 * that every instance sharing the log derives the same one, and a retry lands on the stream the first request
 * created (its decider then answers the first result, or refuses another body). The log is the only record:
 * nothing per instance. A key whose resource was created more than 24 h ago has expired; its next use
 * derives the id of the next generation, a new resource, so old keys stay told apart from new ones.
 */
export async function idempotentResourceId(
  store: EventStore,
  streamOf: (id: string) => string,
  scope: { workspaceId: string; route: string; key: string },
  now: string,
): Promise<string> {
  const keptSince = Date.parse(now) - IDEMPOTENCY_KEY_KEPT_MS;
  for (let generation = 0; ; generation++) {
    const id = deterministicId('idempotency-key', scope.workspaceId, scope.route, scope.key, String(generation));
    const [first] = await store.readStream(streamOf(id), { maxCount: 1 });
    if (!first || Date.parse(first.recordedAt) >= keptSince) return id;
  }
}

/**
 * The position a replayed create answers with: its resource's last event. Waiting for it before reading
 * (read-your-writes) lets an instance answer a retry of a create another instance made and has not
 * projected here yet.
 */
export async function replayedPosition(store: EventStore, stream: string): Promise<number> {
  const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  return last?.position ?? 0;
}

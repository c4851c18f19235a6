import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EventStore, RecordedEvent } from './event-store.js';
import { streams } from './streams.js';

/**
 * Copies a log into another store, losslessly: the same streams, revisions, event ids, data, metadata and
 * recording times, in the same global order. Each event is appended at the revision it has in the source,
 * with its own id, so appending it again is a no-op: after an interruption the copy resumes from its
 * checkpoint file and the events of the last unfinished batch are simply confirmed. The one event not copied
 * is the source's identity marker (log-identity.ts).
 */
export interface CopyProgress {
  copied: number;
  position: number;
  head: number;
}

const BATCH = 500;

export async function copyEvents(
  source: EventStore,
  target: EventStore,
  checkpointFile: string,
  onProgress?: (progress: CopyProgress) => void,
): Promise<{ copied: number; resumedAfter: number; verifiedUpTo: number }> {
  const resumedAfter = existsSync(checkpointFile) ? Number(readFileSync(checkpointFile, 'utf8').trim()) || 0 : 0;
  const head = await source.headPosition();
  let position = resumedAfter;
  let copied = 0;
  let lastAtOrBeforeHead: RecordedEvent | undefined;
  for (;;) {
    const batch = await source.readAll({ afterPosition: position, maxCount: BATCH });
    if (batch.length === 0) break;
    for (const event of batch) {
      // The marker names the store it was written in: the copy gets its own on its first start, so read
      // models built from the source are rebuilt against the copy's positions.
      if (event.stream === streams.logIdentity()) continue;
      if (event.position <= head) lastAtOrBeforeHead = event;
      await target.append(
        event.stream,
        [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata, recordedAt: event.recordedAt }],
        { expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 },
      );
    }
    copied += batch.length;
    position = batch[batch.length - 1].position;
    writeFileSync(`${checkpointFile}.tmp`, String(position));
    renameSync(`${checkpointFile}.tmp`, checkpointFile);
    onProgress?.({ copied, position, head });
  }
  if (lastAtOrBeforeHead) await verifyTargetHolds(target, lastAtOrBeforeHead);
  return { copied, resumedAfter, verifiedUpTo: lastAtOrBeforeHead?.position ?? resumedAfter };
}

/**
 * The last source event copied up to the head the copy started at must be in the target: the same event at
 * the same revision of the same stream. The copy is not reported done until it is.
 */
async function verifyTargetHolds(target: EventStore, last: RecordedEvent): Promise<void> {
  const [copy] = await target.readStream(last.stream, { fromRevision: last.revision, maxCount: 1 });
  if (copy?.id !== last.id) {
    throw new Error(
      `copy-events: the target does not hold the source's event ${last.id} (${last.stream} at revision ` +
        `${last.revision}): run it again`,
    );
  }
}

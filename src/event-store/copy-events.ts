import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EventStore, RecordedEvent } from './event-store.js';
import { streams } from './streams.js';

/**
 * Copies a log into another store, losslessly: the same streams, revisions, event ids, data, metadata and
 * recording times, in the same global order. Each event is appended at the revision it has in the source,
 * with its own id, so appending it again is a no-op: after an interruption the copy resumes from its
 * checkpoint file and the events of the last unfinished batch are simply confirmed.
 *
 * The source's identity marker (log-identity.ts) goes along only while the copy reproduces the source's
 * positions exactly (an empty target, a source with dense positions: SQLite or PostgreSQL). Then the copy
 * is the same log, position for position, and read models, checkpoints and webhook progress taken from the
 * source stay valid after a switch: nothing is rebuilt or delivered again. Otherwise the copy gets an
 * identity of its own on first start, and what was built from the source is rebuilt against it.
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
): Promise<{ copied: number; resumedAfter: number; verifiedUpTo: number; samePositions: boolean }> {
  const resumedAfter = existsSync(checkpointFile) ? Number(readFileSync(checkpointFile, 'utf8').trim()) || 0 : 0;
  const head = await source.headPosition();
  // A resumed copy had the same positions so far if the target holds nothing past the checkpoint's batch;
  // each event confirmed below is checked anyway.
  let samePositions = resumedAfter > 0 || (await target.headPosition()) === 0;
  let identityCopied = false;
  let position = resumedAfter;
  let copied = 0;
  let lastAtOrBeforeHead: RecordedEvent | undefined;
  for (;;) {
    const batch = await source.readAll({ afterPosition: position, maxCount: BATCH });
    if (batch.length === 0) break;
    for (const event of batch) {
      const isIdentity = event.stream === streams.logIdentity();
      if (isIdentity && !samePositions) continue;
      if (event.position <= head) lastAtOrBeforeHead = event;
      const { position: copiedAt } = await target.append(
        event.stream,
        [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata, recordedAt: event.recordedAt }],
        { expectedRevision: event.revision === 0 ? 'no_stream' : event.revision - 1 },
      );
      identityCopied ||= isIdentity;
      if (copiedAt !== event.position && samePositions) {
        if (identityCopied) {
          throw new Error(
            `copy-events: the target's positions diverged from the source's at ${event.position} (another ` +
              `writer on the target?), after the source's identity was copied into it: start again from an empty target`,
          );
        }
        samePositions = false;
      }
    }
    copied += batch.length;
    position = batch[batch.length - 1].position;
    writeFileSync(`${checkpointFile}.tmp`, String(position));
    renameSync(`${checkpointFile}.tmp`, checkpointFile);
    onProgress?.({ copied, position, head });
  }
  if (lastAtOrBeforeHead) await verifyTargetHolds(target, lastAtOrBeforeHead);
  return { copied, resumedAfter, verifiedUpTo: lastAtOrBeforeHead?.position ?? resumedAfter, samePositions };
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

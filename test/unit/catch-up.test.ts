import { describe, expect, it } from '@jest/globals';
import type { CheckpointedConsumer } from '../../src/event-store/checkpointed-consumer.js';
import { CatchUp } from '../../src/read-models/catch-up.js';

/** A projector that is at `position`: all CatchUp reads of it. */
const projectorAt = (at: { position: number }) =>
  ({ status: () => ({ position: at.position }) }) as unknown as CheckpointedConsumer;

describe('CatchUp', () => {
  it('serves nothing while a rebuild at start runs, even once its file has passed the head', () => {
    const projector = { position: 0 };
    const catchUp = new CatchUp(projectorAt(projector));
    catchUp.until(100);
    catchUp.rebuilding(0);
    expect(catchUp.status()).toEqual({ position: 0, target: 100 });
    catchUp.rebuilding(120); // the worker is done, but its file is not live yet
    expect(catchUp.status()).toEqual({ position: 120, target: 100 });
    catchUp.rebuilding(null); // live: the projector, from the rebuilt file's checkpoint, decides from here
    expect(catchUp.status()).toEqual({ position: 0, target: 100 });
    projector.position = 120;
    expect(catchUp.status()).toBeNull();
  });
});

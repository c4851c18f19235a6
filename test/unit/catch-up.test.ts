import { describe, expect, it } from '@jest/globals';
import type { CheckpointedConsumer } from '../../src/event-store/checkpointed-consumer.js';
import { CatchUp, type ProjectionRebuild } from '../../src/read-models/catch-up.js';

/** A projector that is at `position`: all CatchUp reads of it. */
const projectorAt = (at: { position: number }) =>
  ({ status: () => ({ position: at.position }) }) as unknown as CheckpointedConsumer;

const rebuild = (position: number, serving_older_version: boolean): ProjectionRebuild => ({
  projection: 'devices',
  from_version: serving_older_version ? 4 : null,
  to_version: 5,
  position,
  target: 100,
  serving_older_version,
});

describe('CatchUp', () => {
  it('serves nothing while a rebuild with nothing older to serve runs, even once its file has passed the head', () => {
    const projector = { position: 0 };
    const catchUp = new CatchUp(projectorAt(projector));
    catchUp.until(100);
    catchUp.rebuild('devices', rebuild(0, false));
    expect(catchUp.status()).toEqual({ position: 0, target: 100 });
    catchUp.rebuild('devices', rebuild(120, false)); // the worker is done, but its file is not live yet
    expect(catchUp.status()).toEqual({ position: 120, target: 100 });
    catchUp.rebuild('devices', null); // live: the projector, from the rebuilt file's checkpoint, decides from here
    expect(catchUp.status()).toEqual({ position: 0, target: 100 });
    projector.position = 120;
    expect(catchUp.status()).toBeNull();
  });

  it('is not catching up during an upgrade: an older version serves, and the rebuild shows among rebuilds()', () => {
    const projector = { position: 100 };
    const catchUp = new CatchUp(projectorAt(projector));
    catchUp.until(100);
    catchUp.rebuild('devices', rebuild(10, true));
    expect(catchUp.status()).toBeNull();
    expect(catchUp.rebuilds()).toEqual([rebuild(10, true)]);
    catchUp.rebuild('devices', null);
    expect(catchUp.rebuilds()).toEqual([]);
  });
});

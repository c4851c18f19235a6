import { describe, expect, it } from '@jest/globals';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from '../../src/event-store/event-store.js';
import {
  fromClientEvent,
  RECORDED_AT_KEY,
  toClientExpectedRevision,
  toClientPosition,
  toPortError,
  withDeadline,
} from '../../src/event-store/eventstoredb-mapping.js';

// The EventStoreDB adapter's own logic, checked without a server.
describe('EventStoreDB adapter mapping', () => {
  it('maps expected revisions: the three names as they are, an exact revision to a bigint', () => {
    expect(toClientExpectedRevision('no_stream')).toBe('no_stream');
    expect(toClientExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toClientExpectedRevision('any')).toBe('any');
    expect(toClientExpectedRevision(41)).toBe(41n);
  });

  it('reads $all from the start, or from a commit position (inclusive, so the caller drops that event)', () => {
    expect(toClientPosition(0)).toBe('start');
    expect(toClientPosition(1234)).toEqual({ commit: 1234n, prepare: 1234n });
  });

  it('maps a recorded event: commit position, numeric revision, creation time, and a copied event keeps its time', () => {
    const created = new Date('2026-03-01T09:00:00.000Z');
    const base = {
      id: 'e1',
      type: 'MetadataSet',
      streamId: 'device-d1',
      revision: 3n,
      data: { a: 1 },
      created,
      position: { commit: 900n, prepare: 900n },
    };
    expect(fromClientEvent({ ...base, metadata: { schema_version: 1 } })).toEqual({
      id: 'e1',
      type: 'MetadataSet',
      stream: 'device-d1',
      revision: 3,
      position: 900,
      data: { a: 1 },
      metadata: { schema_version: 1 },
      recordedAt: '2026-03-01T09:00:00.000Z',
    });
    const copied = fromClientEvent({
      ...base,
      metadata: { schema_version: 1, [RECORDED_AT_KEY]: '2025-12-31T23:59:59.000Z' },
    });
    expect(copied.recordedAt).toBe('2025-12-31T23:59:59.000Z');
    expect(copied.metadata).toEqual({ schema_version: 1 });
    expect(() => fromClientEvent({ ...base, position: undefined })).toThrow(/no \$all position/);
  });

  it("maps the client's errors to the port's: conflicts, unavailability, anything else unchanged", () => {
    const conflict = toPortError({ type: 'wrong-expected-version', actualVersion: 7n, message: 'wrong' }, 's', 5);
    expect(conflict).toBeInstanceOf(WrongExpectedRevisionError);
    expect((conflict as WrongExpectedRevisionError).actual).toBe(7);
    expect(
      (
        toPortError(
          { type: 'wrong-expected-version', actualVersion: 'no_stream' },
          's',
          2,
        ) as WrongExpectedRevisionError
      ).actual,
    ).toBe('no_stream');
    for (const type of ['unavailable', 'deadline-exceeded', 'timeout', 'not-leader']) {
      expect(toPortError({ type, message: 'x' }, 's')).toBeInstanceOf(EventStoreUnavailableError);
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2113'), { code: 'ECONNREFUSED' });
    expect(toPortError(refused, 's')).toBeInstanceOf(EventStoreUnavailableError);
    expect(toPortError({ code: 14, message: '14 UNAVAILABLE: No connection established' }, 's')).toBeInstanceOf(
      EventStoreUnavailableError,
    );
    // By type and code, not by the message's words.
    const wordsOnly = new Error('failed to connect, ECONNREFUSED');
    expect(toPortError(wordsOnly, 's')).toBe(wordsOnly);
    for (const [type, says] of [
      ['access-denied', /refused access: check the credentials/],
      ['stream-deleted', /deleted in EventStoreDB/],
      ['maximum-append-size-exceeded', /maximum append size/],
    ] as const) {
      const mapped = toPortError({ type, message: 'x' }, 'device-d1');
      expect(mapped).toBeInstanceOf(EventStoreUnavailableError);
      expect((mapped as Error).message).toMatch(says);
      expect((mapped as Error).message).toContain('device-d1');
    }
    const other = new Error('something else');
    expect(toPortError(other, 's')).toBe(other);
  });

  it('puts its own deadline on a call that never answers', async () => {
    const started = Date.now();
    const never = new Promise<never>(() => undefined);
    await expect(withDeadline('a test read', 50, never)).rejects.toBeInstanceOf(EventStoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(withDeadline('a quick read', 1000, Promise.resolve(42))).resolves.toBe(42);
  });
});

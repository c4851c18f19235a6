import { describe, expect, it } from '@jest/globals';
import { schemas } from '@seamapi/types/connect';
import { SEAM_EVENT_TYPES } from '../../src/events/seam-event-types.js';

describe("Seam's event types", () => {
  it('are the ones the installed @seamapi/types lists (update src/events/seam-event-types.ts when it lists others)', () => {
    const options = (schemas.seam_event as unknown as { options: { shape: { event_type: { value: string } } }[] })
      .options;
    expect([...SEAM_EVENT_TYPES].sort()).toEqual(options.map((option) => option.shape.event_type.value).sort());
  });
});

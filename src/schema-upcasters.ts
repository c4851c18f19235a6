import type { Upcaster } from './event-store/upcasting-event-store.js';

/**
 * Every shape change an event type has had, oldest first. Add one here whenever a stored event's `data`
 * changes shape; never edit an event in the log. The fixture test/fixtures/events-schema-v1.jsonl holds a
 * log written before the first of these.
 */
export const UPCASTERS: readonly Upcaster[] = [
  {
    // v2: the login is a Seam `user_identifier` ({email}, later username or phone), not a bare email.
    type: 'ConnectedAccountCreated',
    fromVersion: 1,
    upcast: (data) => {
      const { email, ...rest } = data as { email: string } & Record<string, unknown>;
      return { ...rest, user_identifier: { email } };
    },
  },
];

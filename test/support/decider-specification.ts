import { expect } from '@jest/globals';
import type { CommandMeta, Decider, DomainEvent } from '../../src/event-store/decider.js';

/**
 * Given/when/then for a pure decider, on the model of emmett's DeciderSpecification:
 *
 *   spec.given([created]).when(update).then([metadataSet])
 *   spec.given([]).when(update).thenThrows((e) => e instanceof NotFound)
 *   spec.given([created]).when(sameAgain).thenNothingHappened()
 *
 * `given` events are folded with `evolve` from `initialState()`; `when` runs `decide` on that state.
 */
export const DeciderSpecification = {
  for<Command extends CommandMeta, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
    return {
      given(events: readonly Event[]) {
        return {
          when(command: Command) {
            const run = () => decider.decide(command, events.reduce(decider.evolve, decider.initialState()));
            return {
              then(expected: readonly Event[]) {
                expect(run()).toEqual(expected);
              },
              thenThrows(predicate: (error: unknown) => boolean) {
                let thrown: unknown;
                try {
                  run();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeDefined();
                expect(predicate(thrown)).toBe(true);
              },
              thenNothingHappened() {
                expect(run()).toEqual([]);
              },
            };
          },
        };
      },
    };
  },
};

import { Controller, Inject } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { invalidInput } from './seam-error.js';
import { GetEventQuery, ListEventsQuery } from '../events/nest.js';
import { CurrentCaller, type Caller } from './caller.js';
import { GetEventDto, ListEventsDto, toFilter } from './events.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute } from './seam-route.js';

/** Seam's events, oldest first, with the metadata as it was when each happened. */
@Controller()
export class EventsController {
  constructor(@Inject(QueryBus) private readonly queryBus: QueryBus) {}

  @SeamRoute('events/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller, @SeamInput(ListEventsDto) input: ListEventsDto) {
    if (!input.since && !input.between) {
      throw invalidInput([{ path: ['since'], message: 'Either since or between is required' }]);
    }
    if (input.since && input.between) {
      throw invalidInput([{ path: ['between'], message: 'Cannot specify both since and between' }]);
    }
    const events = await this.queryBus.execute(
      new ListEventsQuery(caller.workspaceId, toFilter(input), input.limit ?? 500, input.unstable_offset ?? 0),
    );
    return { events, ok: true };
  }

  @SeamRoute('events/get', ['GET', 'POST'])
  async get(@CurrentCaller() caller: Caller, @SeamInput(GetEventDto) input: GetEventDto) {
    const by =
      input.event_id !== undefined
        ? { eventId: input.event_id }
        : { eventType: input.event_type, deviceId: input.device_id };
    const event = await this.queryBus.execute(new GetEventQuery(caller.workspaceId, by));
    return { event, ok: true };
  }
}

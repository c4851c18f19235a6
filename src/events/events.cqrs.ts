import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { NotFound } from '../common/domain-errors.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import type { PublicEvent, PublicEventFilter } from './public-event.js';
import { findNewestPublicEvent, findPublicEvent, findPublicEvents } from './public-events.queries.js';

export class ListEventsQuery extends Query<PublicEvent[]> {
  constructor(
    readonly workspaceId: string,
    readonly filter: PublicEventFilter,
    readonly limit: number,
    readonly offset = 0,
  ) {
    super();
  }
}

export class GetEventQuery extends Query<PublicEvent> {
  constructor(
    readonly workspaceId: string,
    /** An event by its id, or the newest of a type and/or of a device. */
    readonly by: { eventId: string } | { eventType?: string; deviceId?: string },
  ) {
    super();
  }
}

@QueryHandler(ListEventsQuery)
export class ListEventsHandler implements IQueryHandler<ListEventsQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, filter, limit, offset }: ListEventsQuery) {
    return findPublicEvents(this.readModels.db, workspaceId, filter, limit, offset).map((e) => e.event);
  }
}

@QueryHandler(GetEventQuery)
export class GetEventHandler implements IQueryHandler<GetEventQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, by }: GetEventQuery) {
    if ('eventId' in by) {
      const found = findPublicEvent(this.readModels.db, workspaceId, by.eventId);
      if (!found) throw new NotFound('event', 'event_id', by.eventId);
      return found.event;
    }
    const filter = {
      eventTypes: by.eventType === undefined ? undefined : [by.eventType],
      deviceIds: by.deviceId === undefined ? undefined : [by.deviceId],
    };
    const newest = findNewestPublicEvent(this.readModels.db, workspaceId, filter);
    if (!newest)
      throw new NotFound('event', by.eventType === undefined ? 'device_id' : 'event_type', by.eventType ?? by.deviceId);
    return newest;
  }
}

import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { NotFound } from '../common/domain-errors.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import type { PublicEvent, PublicEventFilter } from './public-event.js';
import { findPublicEvent, findPublicEvents } from './public-events.queries.js';

export class ListEventsQuery extends Query<PublicEvent[]> {
  constructor(
    readonly workspaceId: string,
    readonly filter: PublicEventFilter,
    readonly limit: number,
  ) {
    super();
  }
}

export class GetEventQuery extends Query<PublicEvent> {
  constructor(
    readonly workspaceId: string,
    readonly eventId: string,
  ) {
    super();
  }
}

@QueryHandler(ListEventsQuery)
export class ListEventsHandler implements IQueryHandler<ListEventsQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, filter, limit }: ListEventsQuery) {
    return findPublicEvents(this.readModels.db, workspaceId, filter, limit).map((e) => e.event);
  }
}

@QueryHandler(GetEventQuery)
export class GetEventHandler implements IQueryHandler<GetEventQuery> {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

  async execute({ workspaceId, eventId }: GetEventQuery) {
    const found = findPublicEvent(this.readModels.db, workspaceId, eventId);
    if (!found) throw new NotFound('event', 'event_id', eventId);
    return found.event;
  }
}

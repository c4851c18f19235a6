import { Controller, Inject, Req, Res } from '@nestjs/common';
import { Query, QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Expose } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { invalidInput, SeamError } from '../common/seam-error.js';
import { CurrentCaller, type Caller } from '../http/caller.js';
import { SeamInput, ToArray, ToInteger } from '../http/seam-input.js';
import { SeamRoute } from '../http/seam-route.js';
import { MAX_LIMIT } from '../read-models/pagination.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { findPublicEvent, findPublicEvents, PUBLIC_EVENT_TYPES, type PublicEvent, type PublicEventFilter } from './public-events.js';

class EventFilterDto {
  @Expose() @IsOptional() @IsUUID('all')
  device_id?: string;

  @Expose() @ToArray() @IsOptional() @IsArray() @IsUUID('all', { each: true })
  device_ids?: string[];

  @Expose() @IsOptional() @IsUUID('all')
  connected_account_id?: string;

  @Expose() @IsOptional() @IsUUID('all')
  connect_webview_id?: string;

  @Expose() @IsOptional() @IsIn(PUBLIC_EVENT_TYPES)
  event_type?: string;

  @Expose() @ToArray() @IsOptional() @IsArray() @IsIn(PUBLIC_EVENT_TYPES, { each: true })
  event_types?: string[];

  @Expose() @IsOptional() @IsISO8601({ strict: true })
  since?: string;
}

export class ListEventsDto extends EventFilterDto {
  @Expose() @ToArray() @IsOptional() @IsArray() @ArrayMinSize(2) @ArrayMaxSize(2) @IsISO8601({ strict: true }, { each: true })
  between?: string[];

  @Expose() @ToInteger() @IsOptional() @IsInt() @Min(1) @Max(MAX_LIMIT)
  limit?: number;
}

export class EventIdDto {
  @Expose() @IsUUID('all')
  event_id!: string;
}

export class StreamEventsDto extends EventFilterDto {}

function toFilter(input: EventFilterDto & { between?: string[] }): PublicEventFilter {
  const iso = (time: string) => new Date(time).toISOString();
  const deviceIds = [...(input.device_id ? [input.device_id] : []), ...(input.device_ids ?? [])];
  const eventTypes = [...(input.event_type ? [input.event_type] : []), ...(input.event_types ?? [])];
  return {
    since: input.between ? iso(input.between[0]) : input.since ? iso(input.since) : undefined,
    until: input.between ? iso(input.between[1]) : undefined,
    deviceIds: deviceIds.length > 0 ? deviceIds : undefined,
    connectedAccountId: input.connected_account_id,
    connectWebviewId: input.connect_webview_id,
    eventTypes: eventTypes.length > 0 ? eventTypes : undefined,
  };
}

export class ListEventsQuery extends Query<PublicEvent[]> {
  constructor(
    readonly workspaceId: string,
    readonly filter: PublicEventFilter,
    readonly limit: number,
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

const HEARTBEAT_MS = 15_000;
const POLL_MS = 100;

/** Seam's events, oldest first, with the metadata as it was when each happened. */
@Controller()
export class EventsController {
  constructor(
    @Inject(QueryBus) private readonly queryBus: QueryBus,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
  ) {}

  @SeamRoute('events/list', ['GET', 'POST'])
  async list(@CurrentCaller() caller: Caller, @SeamInput(ListEventsDto) input: ListEventsDto) {
    if (!input.since && !input.between) {
      throw invalidInput([{ path: ['since'], message: 'Either since or between is required' }]);
    }
    const events = await this.queryBus.execute(new ListEventsQuery(caller.workspaceId, toFilter(input), input.limit ?? 500));
    return { events, ok: true };
  }

  @SeamRoute('events/get', ['GET', 'POST'])
  get(@CurrentCaller() caller: Caller, @SeamInput(EventIdDto) input: EventIdDto) {
    const found = findPublicEvent(this.readModels.db, caller.workspaceId, input.event_id);
    if (!found) throw new SeamError(404, 'event_not_found', 'Event not found', { event_id: input.event_id });
    return { event: found.event, ok: true };
  }

  /**
   * Server-Sent Events, filtered like /events/list. Without `since` it starts with what happens next; a
   * client that reconnects with `Last-Event-ID` resumes right after that event, so it misses none and
   * receives none twice.
   */
  @SeamRoute('events/stream', ['GET'])
  stream(
    @CurrentCaller() caller: Caller,
    @SeamInput(StreamEventsDto) input: StreamEventsDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    const filter = toFilter(input);
    const lastEventId = request.headers['last-event-id'];
    let after: number;
    if (typeof lastEventId === 'string' && lastEventId !== '') {
      const last = findPublicEvent(this.readModels.db, caller.workspaceId, lastEventId);
      if (!last) throw new SeamError(400, 'invalid_last_event_id', 'Last-Event-ID names no event of this workspace');
      after = last.sequence;
      filter.since = undefined;
    } else if (filter.since) {
      after = -1;
    } else {
      const newest = this.readModels.db.prepare('SELECT MAX(sequence) AS sequence FROM public_events WHERE workspace_id = ?').get(caller.workspaceId) as {
        sequence: number | null;
      };
      after = newest.sequence ?? -1;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'seam-request-id': String(request.id),
    });
    raw.write(': connected\n\n');
    let open = true;
    let lastWrite = Date.now();
    const pump = () => {
      if (!open) return;
      for (const { sequence, event } of findPublicEvents(this.readModels.db, caller.workspaceId, { ...filter, afterSequence: after }, 500)) {
        raw.write(`id: ${event.event_id}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
        after = sequence;
        lastWrite = Date.now();
      }
      if (Date.now() - lastWrite > HEARTBEAT_MS) {
        raw.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
    };
    const timer = setInterval(pump, POLL_MS);
    pump();
    raw.on('close', () => {
      open = false;
      clearInterval(timer);
    });
  }
}

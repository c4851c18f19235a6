import { Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SeamError } from '../common/seam-error.js';
import { findPublicEvent, findPublicEvents, newestPublicEventSequence } from '../events/index.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { CurrentCaller, type Caller } from './caller.js';
import { StreamEventsDto, toFilter } from './events.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute } from './seam-route.js';

const HEARTBEAT_MS = 15_000;
const POLL_MS = 100;

/** Seam's events as they happen, over Server-Sent Events. */
@Controller()
export class EventsStreamController {
  constructor(@Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase) {}

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
      after = newestPublicEventSequence(this.readModels.db, caller.workspaceId);
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
      for (const { sequence, event } of findPublicEvents(
        this.readModels.db,
        caller.workspaceId,
        { ...filter, afterSequence: after },
        500,
      )) {
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

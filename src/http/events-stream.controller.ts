import { metrics } from '../common/metrics.js';
import { Controller, Inject, Req, Res, type BeforeApplicationShutdown } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../common/config.js';
import { SeamError } from './seam-error.js';
import { CONFIG } from '../common/tokens.js';
import {
  findPublicEvent,
  findPublicEventTexts,
  newestPublicEventSequence,
  RecentEventBodies,
} from '../events/index.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { isApiKeyActive } from '../workspaces/index.js';
import { CurrentCaller, type Caller } from './caller.js';
import { StreamEventsDto, toFilter } from './events.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute } from './seam-route.js';

const HEARTBEAT_MS = 15_000;
const POLL_MS = 100;
const EVENTS_PER_READ = 10;
/** A client that has not taken what was written to it for this long is dropped; it can resume by Last-Event-ID. */
const STALLED_CLIENT_MS = 30_000;
/** How often an open stream checks that its key is still valid: a revoked key's streams end within a second. */
const KEY_CHECK_MS = 250;

/** Seam's events as they happen, over Server-Sent Events. */
@Controller()
export class EventsStreamController implements BeforeApplicationShutdown {
  /** Open streams per API key. */
  private readonly openStreams = new Map<string, number>();
  /** How to end each open stream: at shutdown, with a hint to reconnect in a second (elsewhere, or later). */
  private readonly enders = new Set<() => void>();
  /** The bodies of the events the streams sent last: each is read once for all the streams. */
  private readonly recentBodies = new RecentEventBodies();

  beforeApplicationShutdown(): void {
    for (const end of this.enders) end();
  }

  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Server-Sent Events, filtered like /events/list. Without `since` it starts with what happens next; a
   * client that reconnects with `Last-Event-ID` resumes right after that event, so it misses none and
   * receives none twice. Backpressure: nothing more is read from the read models until the client has
   * taken what was written, so a client that does not read costs one event's worth of buffer, not a log's.
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

    const open = this.openStreams.get(caller.apiKeyId) ?? 0;
    if (open >= this.config.http.maxEventStreamsPerKey) {
      throw new SeamError(
        429,
        'too_many_event_streams',
        `This API key already has ${open} open event streams, the most it may have`,
      );
    }
    this.openStreams.set(caller.apiKeyId, open + 1);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'seam-request-id': String(request.id),
    });
    metrics.sseConnections.inc();
    let closed = false;
    let blockedSince: number | null = null;
    let lastWrite = Date.now();
    /** Writes one message; false once the socket's buffer is full (then waits for 'drain'). */
    const send = (...parts: (string | Uint8Array)[]): boolean => {
      lastWrite = Date.now();
      let more = true;
      for (const part of parts) more = raw.write(part) && more;
      if (more) return true;
      blockedSince = Date.now();
      raw.once('drain', () => {
        blockedSince = null;
        pump();
      });
      return false;
    };
    let keyCheckedAt = Date.now();
    const pump = () => {
      if (closed) return;
      if (Date.now() - keyCheckedAt >= KEY_CHECK_MS) {
        keyCheckedAt = Date.now();
        // Revoked: the stream ends as a shutdown ends it, and its reconnection will get 401.
        if (!isApiKeyActive(this.readModels.db, caller.apiKeyId)) return end();
      }
      if (blockedSince !== null) {
        if (Date.now() - blockedSince > STALLED_CLIENT_MS) raw.destroy();
        return;
      }
      // Small reads: a client that blocks after one event leaves the rest unread, not parsed and dropped.
      for (;;) {
        const batch = findPublicEventTexts(
          this.readModels.db,
          caller.workspaceId,
          { ...filter, afterSequence: after },
          EVENTS_PER_READ,
          this.recentBodies,
        );
        for (const { sequence, event_id, event_type, body } of batch) {
          after = sequence;
          if (!send(`id: ${event_id}\nevent: ${event_type}\ndata: `, body, '\n\n')) return;
        }
        if (batch.length < EVENTS_PER_READ) break;
      }
      if (Date.now() - lastWrite > HEARTBEAT_MS) send(': heartbeat\n\n');
    };
    const timer = setInterval(pump, POLL_MS);
    function end() {
      raw.end('retry: 1000\n\n');
    }
    this.enders.add(end);
    raw.on('close', () => {
      metrics.sseConnections.dec();
      closed = true;
      this.enders.delete(end);
      clearInterval(timer);
      const left = (this.openStreams.get(caller.apiKeyId) ?? 1) - 1;
      if (left === 0) this.openStreams.delete(caller.apiKeyId);
      else this.openStreams.set(caller.apiKeyId, left);
    });
    if (send(': connected\n\n')) pump();
  }
}

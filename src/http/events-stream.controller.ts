import { metrics } from '../common/metrics.js';
import { Controller, Inject, Req, Res, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppConfig } from '../common/config.js';
import { SeamError } from './seam-error.js';
import { CONFIG, READ_MODELS_PROJECTOR } from '../common/tokens.js';
import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';
import {
  findPublicEvent,
  findPublicEventTexts,
  newestPublicEventSequence,
  newestPublicEventSequenceOfAll,
  RecentEventBodies,
  workspacesWithPublicEventsAfter,
} from '../events/index.js';
import type { SqliteDatabase } from '../common/sqlite.js';
import type { RecordedEvent } from '../event-store/event-store.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { isApiKeyActive } from '../workspaces/index.js';
import { CurrentCaller, type Caller } from './caller.js';
import { StreamEventsDto, toFilter } from './events.dto.js';
import { SeamInput } from './seam-input.js';
import { SeamRoute } from './seam-route.js';

const HEARTBEAT_MS = 15_000;
const EVENTS_PER_READ = 10;
/** A client that has not taken what was written to it for this long is dropped; it can resume by Last-Event-ID. */
const STALLED_CLIENT_MS = 30_000;

interface OpenStream {
  apiKeyId: string;
  /** Sends what the stream has not sent yet. */
  pump(): void;
  /** Ends it, with a hint to reconnect in a second (elsewhere, or later). */
  end(): void;
}

/** Seam's events as they happen, over Server-Sent Events. */
@Controller()
export class EventsStreamController implements OnModuleInit, BeforeApplicationShutdown {
  /** Open streams per API key. */
  private readonly openStreams = new Map<string, number>();
  /** The open streams, by workspace: told when the read models gain public events of theirs. */
  private readonly byWorkspace = new Map<string, Set<OpenStream>>();
  /** The newest public event the streams were told of, in the read models `toldIn`. */
  private toldUpTo = -1;
  private toldIn: SqliteDatabase | undefined;
  /** The bodies of the events the streams sent last: each is read once for all the streams. */
  private readonly recentBodies = new RecentEventBodies();
  private stopListening: (() => void) | undefined;

  onModuleInit(): void {
    this.stopListening = this.projector.onAdvance((_position, batch) => this.tell(batch));
  }

  beforeApplicationShutdown(): void {
    this.stopListening?.();
    for (const group of this.byWorkspace.values()) for (const stream of group) stream.end();
  }

  /**
   * The read models moved on: the streams of each workspace that gained public events look for theirs (one
   * query for all, then one for each of those streams), and a revocation (or the workspace's erasure) ends
   * the streams of the keys it stopped.
   */
  private tell(batch: readonly RecordedEvent[]): void {
    if (this.byWorkspace.size === 0) return;
    const db = this.readModels.db;
    if (batch.some((event) => event.type === 'ApiKeyRevoked' || event.type === 'WorkspaceErased')) {
      for (const group of this.byWorkspace.values()) {
        for (const stream of group) if (!isApiKeyActive(db, stream.apiKeyId)) stream.end();
      }
    }
    if (this.toldIn !== db) this.startTelling(db);
    for (const { workspace_id, sequence } of workspacesWithPublicEventsAfter(db, this.toldUpTo)) {
      this.toldUpTo = Math.max(this.toldUpTo, sequence);
      for (const stream of this.byWorkspace.get(workspace_id) ?? []) stream.pump();
    }
  }

  /** From the newest event on: each stream has read up to it already when it opened. */
  private startTelling(db: SqliteDatabase): void {
    this.toldIn = db;
    this.toldUpTo = newestPublicEventSequenceOfAll(db);
  }

  constructor(
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(READ_MODELS_PROJECTOR) private readonly projector: CheckpointedConsumer,
  ) {}

  /**
   * Server-Sent Events, filtered like /events/list. Without `since` it starts with what happens next; a
   * client that reconnects with `Last-Event-ID` resumes right after that event, so it misses none and
   * receives none twice. Backpressure: nothing more is read from the read models until the client has
   * taken what was written, so a client that does not read costs one event's worth of buffer, not a log's.
   * A stream looks for new events when the read models move on (the projector tells it), and for nothing on
   * a timer: only the keep-alive comment has one.
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
    if (this.byWorkspace.size === 0) this.startTelling(this.readModels.db);
    /** Set while the socket's buffer is full: the client is dropped if it does not take it in time. */
    let stalled: NodeJS.Timeout | undefined;
    let lastWrite = Date.now();
    /** Writes one message; false once the socket's buffer is full (then waits for 'drain'). */
    const send = (...parts: (string | Uint8Array)[]): boolean => {
      lastWrite = Date.now();
      let more = true;
      for (const part of parts) more = raw.write(part) && more;
      if (more) return true;
      stalled = setTimeout(() => raw.destroy(), STALLED_CLIENT_MS);
      raw.once('drain', () => {
        clearTimeout(stalled);
        stalled = undefined;
        pump();
      });
      return false;
    };
    const pump = () => {
      // A revoked key's stream is ended by `tell`, as a shutdown ends it; its reconnection gets 401.
      if (closed || stalled) return;
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
    };
    const stream: OpenStream = { apiKeyId: caller.apiKeyId, pump, end };
    let group = this.byWorkspace.get(caller.workspaceId);
    if (!group) this.byWorkspace.set(caller.workspaceId, (group = new Set()));
    group.add(stream);
    const heartbeat = setInterval(() => {
      if (!stalled && Date.now() - lastWrite >= HEARTBEAT_MS) send(': heartbeat\n\n');
    }, HEARTBEAT_MS / 3);
    function end() {
      raw.end('retry: 1000\n\n');
    }
    raw.on('close', () => {
      metrics.sseConnections.dec();
      closed = true;
      group.delete(stream);
      if (group.size === 0) this.byWorkspace.delete(caller.workspaceId);
      clearInterval(heartbeat);
      clearTimeout(stalled);
      const left = (this.openStreams.get(caller.apiKeyId) ?? 1) - 1;
      if (left === 0) this.openStreams.delete(caller.apiKeyId);
      else this.openStreams.set(caller.apiKeyId, left);
    });
    if (send(': connected\n\n')) pump();
  }
}

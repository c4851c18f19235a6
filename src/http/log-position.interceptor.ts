import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, map, Observable, switchMap } from 'rxjs';
import { invalidInput, SeamError } from './seam-error.js';
import { ConsumerTimeoutError } from '../event-store/checkpointed-consumer.js';
import { ReadYourWrites } from '../read-models/read-your-writes.js';
import { jsonBytesWith } from '../common/json-template.js';

/** The header that carries a log position both ways. */
export const LOG_POSITION_HEADER = 'seam-log-position';

/** A route's answer with what goes in its headers: the log position its read models reached, and others. */
export class AnswerAt<Body> {
  constructor(
    readonly position: number,
    readonly body: Body,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

/** What a write route returns once its write is readable: `body`, answered with `seam-log-position`. */
export const answerAt = <Body>(position: number, body: Body, headers?: Record<string, string>): AnswerAt<Body> =>
  new AnswerAt(position, body, headers);

/** A read route's answer with headers of its own (no log position: it wrote nothing). */
export const answerWithHeaders = <Body>(body: Body, headers: Record<string, string>): AnswerAt<Body> =>
  new AnswerAt(0, body, headers);

/** Fastify's own content type for the JSON it serialises. */
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A read route's answer with values whose JSON is made already (`SerializedJson`, a page of devices): the
 * body written once around them and sent as it is, the same bytes Fastify's serialiser would send.
 */
export const answerJson = (body: unknown): AnswerAt<Buffer> =>
  answerWithHeaders(jsonBytesWith(body), { 'content-type': JSON_CONTENT_TYPE });

/**
 * Read-your-writes across instances. A write answers the log position it reached in `seam-log-position`
 * (its route returns `answerAt(position, body)`);
 * any request that carries that header back, to any instance, first waits until that instance's read models
 * reach the position (503 `read_model_unavailable` if they do not within READ_YOUR_WRITES_TIMEOUT_MS).
 */
@Injectable()
export class LogPositionInterceptor implements NestInterceptor {
  constructor(@Inject(ReadYourWrites) private readonly readYourWrites: ReadYourWrites) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const asked = askedPosition(http.getRequest<FastifyRequest>().headers[LOG_POSITION_HEADER]);
    return from(asked === undefined ? Promise.resolve() : this.waitFor(asked)).pipe(
      switchMap(() => next.handle()),
      map((answer) => {
        if (!(answer instanceof AnswerAt)) return answer;
        if (!reply.sent) {
          if (answer.position > 0) void reply.header(LOG_POSITION_HEADER, String(answer.position));
          for (const [name, value] of Object.entries(answer.headers)) void reply.header(name, value);
        }
        return answer.body;
      }),
    );
  }

  private async waitFor(position: number): Promise<void> {
    try {
      await this.readYourWrites.waitForLogPosition(position);
    } catch (error) {
      if (!(error instanceof ConsumerTimeoutError)) throw error;
      throw new SeamError(
        503,
        'read_model_unavailable',
        `This instance has not reached log position ${position} yet; try again shortly`,
      );
    }
  }
}

function askedPosition(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (!/^\d{1,15}$/.test(value.trim())) {
    throw invalidInput([{ path: [], message: `${LOG_POSITION_HEADER} must be a log position (a whole number)` }]);
  }
  return Number(value);
}

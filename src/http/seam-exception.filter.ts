import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from './error-response.js';
import { HOSTED_PAGE_HEADERS, HOSTED_PAGE_PATH, hostedErrorPage } from './hosted-page.js';

/** Every error in Seam's envelope; on the hosted page, which a browser shows, as a page instead. */
@Catch()
export class SeamExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body, headers } = toErrorResponse(exception);
    const http = host.switchToHttp();
    const reply = http
      .getResponse<FastifyReply>()
      .status(status)
      .headers(headers ?? {});
    if (http.getRequest<FastifyRequest>().routeOptions.url === `/${HOSTED_PAGE_PATH}`) {
      void reply.headers(HOSTED_PAGE_HEADERS).send(hostedErrorPage((body.error as { message: string }).message));
      return;
    }
    void reply.header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

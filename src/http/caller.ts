import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '../common/actor.js';
import type { CommandMeta } from '../event-store/decider.js';

/** Who is calling: the workspace of the API key, which bounds everything the request can see. */
export interface Caller {
  workspaceId: string;
  apiKeyId: string;
  isSandbox: boolean;
}

export type RequestWithCaller = FastifyRequest & { caller?: Caller };

export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = ctx.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('CurrentCaller used on a route without authentication');
  return caller;
});

export function actorOf(caller: Caller): Actor {
  return { type: 'api_key', api_key_id: caller.apiKeyId };
}

/** What every command of an API call carries: the calling key as its actor, and the time it arrived. */
export function commandMeta(caller: Caller): CommandMeta {
  return { actor: actorOf(caller), now: new Date().toISOString() };
}

import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SeamError } from '../common/seam-error.js';
import { ReadModelDatabase } from '../read-models/read-model-database.js';
import { findApiKey, hashApiKey } from '../workspaces/index.js';
import type { RequestWithCaller } from './caller.js';
import { ALLOWED_METHODS, PUBLIC_ROUTE, type HttpMethod } from './seam-route.js';

/** 405 for a method the route does not take (checked before authentication: it needs no secret). */
@Injectable()
export class MethodGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.get<HttpMethod[] | undefined>(ALLOWED_METHODS, context.getHandler());
    const method = context.switchToHttp().getRequest<RequestWithCaller>().method;
    if (allowed && !allowed.includes(method as HttpMethod)) {
      throw new SeamError(405, 'method_not_allowed', `Method ${method} is not allowed; use ${allowed.join(' or ')}`);
    }
    return true;
  }
}

/** `Authorization: Bearer seam_…`: the key's hash is looked up in the read model, never the key itself. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ReadModelDatabase) private readonly readModels: ReadModelDatabase,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.get<boolean | undefined>(PUBLIC_ROUTE, context.getHandler())) return true;
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw new SeamError(401, 'unauthorized', 'Missing API key: send Authorization: Bearer <api key>');
    const key = findApiKey(this.readModels.db, hashApiKey(match[1]));
    if (!key) throw new SeamError(401, 'unauthorized', 'Invalid API key');
    request.caller = { workspaceId: key.workspace_id, apiKeyId: key.api_key_id, isSandbox: key.is_sandbox === 1 };
    return true;
  }
}

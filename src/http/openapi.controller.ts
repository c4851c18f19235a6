import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header } from '@nestjs/common';
import { PublicRoute } from './seam-route.js';

/**
 * The OpenAPI document, as committed at the project's root (`npm run openapi` writes it from the controllers
 * and DTOs; test/e2e/openapi.test.ts keeps it current). Read once, at the first request.
 */
@Controller()
export class OpenApiController {
  private document: string | undefined;

  @Get('openapi.json')
  @PublicRoute()
  @Header('content-type', 'application/json; charset=utf-8')
  openapi(): string {
    this.document ??= readFileSync(join(import.meta.dirname, '../../openapi.json'), 'utf8');
    return this.document;
  }
}

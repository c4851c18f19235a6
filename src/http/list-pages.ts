import type { AppConfig } from '../common/config.js';
import { pageRequest, type PageRequest } from '../read-models/pagination.js';
import { toQueryString } from './seam-input.js';

/**
 * The page a list request asks for, and the `next_page_url` that repeats it: every list route uses this,
 * so a cursor is always bound to the same parameters (everything but `limit` and `page_cursor`).
 */
export function listPage(
  config: AppConfig,
  route: string,
  params: Record<string, unknown> & { limit?: number; page_cursor?: string | null },
): { page: PageRequest; nextPageUrl: (cursor: string) => string } {
  const { limit, page_cursor: cursor, ...filters } = params;
  return {
    page: pageRequest(filters, limit, cursor),
    nextPageUrl: (next) =>
      `${config.publicUrl}/${route}?${toQueryString({ ...filters, ...(limit ? { limit } : {}), page_cursor: next })}`,
  };
}

import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { InvalidCommand, MismatchedPageParameters } from '../common/domain-errors.js';

/**
 * Keyset pagination over a unique, stable key: a resource's creation position for lists (newest first), a
 * stream revision for histories (oldest first). A cursor is the key of the last item served, bound to the
 * parameters of the request that produced it: sent with other parameters it is refused with
 * `mismatched_page_parameters`, as Seam does. `limit` may change between pages.
 */
export interface Pagination {
  next_page_cursor: string | null;
  has_next_page: boolean;
  next_page_url: string | null;
}

export interface PageRequest {
  limit: number;
  /** Key of the last item already served: the page starts just past it, in the query's order. */
  continueAfter: number | null;
  paramsHash: string;
}

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 1000;

export function pageRequest(
  params: Record<string, unknown>,
  limit: number | undefined,
  cursor: string | null | undefined,
): PageRequest {
  const paramsHash = hashParams(params);
  if (cursor === undefined || cursor === null)
    return { limit: limit ?? DEFAULT_LIMIT, continueAfter: null, paramsHash };
  const decoded = decodeCursor(cursor);
  if (decoded.params !== paramsHash) {
    throw new MismatchedPageParameters();
  }
  return { limit: limit ?? DEFAULT_LIMIT, continueAfter: decoded.after, paramsHash };
}

/** `rows` holds up to `limit + 1` items in order; the extra one only says there is a next page. */
export function page<T>(
  rows: T[],
  request: PageRequest,
  keyOf: (row: T) => number,
  nextPageUrl: (cursor: string) => string,
): { items: T[]; pagination: Pagination } {
  const items = rows.slice(0, request.limit);
  const hasNext = rows.length > request.limit;
  const cursor = hasNext ? encodeCursor(keyOf(items[items.length - 1]), request.paramsHash) : null;
  return {
    items,
    pagination: {
      next_page_cursor: cursor,
      has_next_page: hasNext,
      next_page_url: cursor ? nextPageUrl(cursor) : null,
    },
  };
}

/** A page cut short by a bounded scan: the next one starts below `key`, whatever this one held. */
export function continuingBelow(
  key: number,
  request: PageRequest,
  nextPageUrl: (cursor: string) => string,
): Pagination {
  const cursor = encodeCursor(key, request.paramsHash);
  return { next_page_cursor: cursor, has_next_page: true, next_page_url: nextPageUrl(cursor) };
}

/** Standard base64 with padding, as Seam's `next_page_cursor` is (`z.string().base64()`). */
function encodeCursor(after: number, params: string): string {
  return Buffer.from(JSON.stringify({ after, params })).toString('base64');
}

function decodeCursor(cursor: string): { after: number; params: string } {
  try {
    // Node's base64 decoder also reads the base64url cursors that earlier versions issued.
    const value = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as unknown;
    if (
      typeof value === 'object' &&
      value !== null &&
      Number.isSafeInteger((value as { after: unknown }).after) &&
      typeof (value as { params: unknown }).params === 'string'
    ) {
      return value as { after: number; params: string };
    }
  } catch {
    // fall through: not a cursor this service issued
  }
  throw new InvalidCommand([{ path: ['page_cursor'], message: 'Invalid page cursor' }]);
}

function hashParams(params: Record<string, unknown>): string {
  return createHash('sha256')
    .update(stringify(params) ?? 'null')
    .digest('base64url')
    .slice(0, 22);
}

import { applyDecorators } from '@nestjs/common';
import { IsISO8601, MaxLength } from 'class-validator';

/**
 * The longest string each parameter takes, in one place (the README's "Limits" lists them): beyond it, 400
 * `invalid_input` naming the parameter, before anything is stored. No string a caller sends is unbounded, so
 * none can grow the log, the read models or an answer without limit. test/e2e/string-bounds.test.ts sends
 * every string parameter of every route one character over its bound.
 */
export const MAX_LENGTH = {
  /** A customer key, as Seam's Connect Webview takes it. */
  customer_key: 200,
  /** A device's name. */
  name: 200,
  /** A webhook's or a redirect's URL. */
  url: 2000,
  /** RFC 5321's longest address. */
  email: 254,
  password: 200,
  auth_token: 200,
  search: 200,
  /** A cursor this service handed out is far shorter; 4,000 leaves room for a list's parameters. */
  page_cursor: 4000,
  /** A provider's, a device type's or a manufacturer's name. */
  identifier: 100,
  /** An ISO 8601 time, with room for a long fraction and an offset. */
  time: 40,
} as const;

export const BoundedLength = (field: keyof typeof MAX_LENGTH, each = false) => MaxLength(MAX_LENGTH[field], { each });

/** An ISO 8601 time (strict), of bounded length. */
export const TimeParam = (each = false) =>
  applyDecorators(IsISO8601({ strict: true }, { each }), BoundedLength('time', each));

import { createHash, createHmac } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562: custom) derived from its parts. The same parts always give the same id, which
 * is what makes the completion saga idempotent: a connected account is `(workspace, provider, email)`, a
 * device is `(account, device key)`, and the events a saga step appends have ids derived from its cause.
 */
export function deterministicId(...parts: string[]): string {
  return uuidOf(createHash('sha256').update(JSON.stringify(parts)).digest('hex'));
}

/**
 * The same, keyed: an HMAC-SHA256 under a secret, for ids derived from personal data. Without the key, no
 * one can tell whether an id belongs to an email they guess.
 */
export function keyedDeterministicId(key: Buffer, ...parts: string[]): string {
  return uuidOf(createHmac('sha256', key).update(JSON.stringify(parts)).digest('hex'));
}

function uuidOf(hex: string): string {
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys look like Seam's: `seam_<8 hex>_<secret>`. The hex part can never spell the prefixes the SDK
 * reserves for other token kinds (`seam_at`, `seam_cst`, `seam_pk`). Only the SHA-256 hash is stored: the
 * secret has 192 random bits, so a fast hash is enough and lookups stay one index probe.
 */
export interface NewApiKey {
  apiKeyId: string;
  token: string;
  keyHash: string;
  /** What may be shown later to recognise the key: its non-secret start. */
  shortToken: string;
}

export function generateApiKey(apiKeyId: string): NewApiKey {
  const shortToken = `seam_${randomBytes(4).toString('hex')}`;
  const token = `${shortToken}_${randomBytes(24).toString('base64url')}`;
  return { apiKeyId, token, keyHash: hashApiKey(token), shortToken };
}

export function hashApiKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (Svix) signatures, as `@seamapi/webhook` verifies them: secret `whsec_<base64 key>`,
 * signature `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)). With several secrets (during a
 * rotation's grace period) the header lists one signature per secret, space-separated, as the standard
 * allows: a receiver that knows either secret verifies the delivery.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function signatureHeaders(
  secrets: readonly string[],
  messageId: string,
  body: string,
  timestampSeconds: number,
): Record<string, string> {
  const sign = (secret: string) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
    return `v1,${createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64')}`;
  };
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map(sign).join(' '),
  };
}

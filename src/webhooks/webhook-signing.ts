import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks (Svix) signatures, as `@seamapi/webhook` verifies them: secret `whsec_<base64 key>`,
 * signature `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)).
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function signatureHeaders(
  secret: string,
  messageId: string,
  body: string,
  timestampSeconds: number,
): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

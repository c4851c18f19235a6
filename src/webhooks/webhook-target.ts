import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { InvalidCommand } from '../common/domain-errors.js';

/**
 * Where a webhook may deliver: http(s) only, and never to loopback, private, link-local or otherwise
 * internal addresses (a webhook must not become a way into the service's own network) unless
 * WEBHOOK_ALLOW_PRIVATE_TARGETS=true. Checked when a webhook is saved and again at every delivery, since a
 * name can resolve elsewhere later.
 */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['::ffff:0:0', 96],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export class WebhookTargetError extends Error {}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return internal.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Throws WebhookTargetError naming why `url` may not be delivered to. */
export async function checkWebhookTarget(url: string, allowPrivateTargets: boolean): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookTargetError('url must be an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new WebhookTargetError('url must use http or https');
  if (parsed.username || parsed.password) throw new WebhookTargetError('url must not carry credentials');
  if (allowPrivateTargets) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new WebhookTargetError(`url's host ${host} does not resolve`);
  const blocked = addresses.find(isInternalAddress);
  if (blocked) throw new WebhookTargetError(`url resolves to ${blocked}, a loopback or private address`);
}

/** For the API: the same check as a 400 `invalid_input` on `url`. */
export async function assertWebhookTarget(url: string, allowPrivateTargets: boolean): Promise<void> {
  try {
    await checkWebhookTarget(url, allowPrivateTargets);
  } catch (error) {
    if (error instanceof WebhookTargetError) throw new InvalidCommand([{ path: ['url'], message: error.message }]);
    throw error;
  }
}

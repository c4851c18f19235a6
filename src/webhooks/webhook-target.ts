import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidCommand } from '../common/domain-errors.js';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may deliver: http(s) only, and never to an address of IANA's special-purpose registries
 * (loopback, private, link-local, documentation, multicast, …) nor to an IPv6 form that carries an IPv4
 * address (mapped, compatible, NAT64, 6to4, Teredo), unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true: a webhook
 * must not become a way into the service's own network. Checked when a webhook is saved and at every
 * delivery, which then connects to the very address it checked (no second DNS answer to rebind to).
 */
const SPECIAL_IPV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // this network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // direct delegation AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 (broadcast)
];

const SPECIAL_IPV6: readonly (readonly [string, number])[] = [
  ['::', 96], // unspecified, loopback and IPv4-compatible (::a.b.c.d)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
  ['64:ff9b::', 96], // NAT64
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID, …
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing (SRv6) SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

// ipaddr.js parses (any IPv6 form: `::`, a zone id, a dotted tail) and compares by prefix; the table is ours.
const SPECIAL = [...SPECIAL_IPV4, ...SPECIAL_IPV6].map(([network, prefix]) => [ipaddr.parse(network), prefix] as const);

/** Whether `address` is anything but a public unicast address (or is not an IP address at all). */
export function isInternalAddress(address: string): boolean {
  // node:net decides what an address is: ipaddr.js alone would also take `0x7f.1` or `2130706433` as IPv4.
  if (isIP(address) === 0) return true;
  const parsed = ipaddr.parse(address);
  return SPECIAL.some(([network, prefix]) => parsed.kind() === network.kind() && parsed.match(network, prefix));
}

/** Why a target may not be used, as a class (what a webhook's `last_failure.message` shows) and a sentence. */
export class WebhookTargetError extends Error {
  constructor(
    readonly reason: 'invalid_url' | 'port_not_allowed' | 'address_not_allowed' | 'dns_failure' | 'dns_timeout',
    message: string,
  ) {
    super(message);
  }
}

/** The address a delivery connects to: checked once, then used for the connection itself. */
export interface WebhookTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** What a target must satisfy (from the configuration: WEBHOOK_ALLOW_PRIVATE_TARGETS, …). */
export interface WebhookTargetPolicy {
  allowPrivateTargets: boolean;
  allowedPorts: readonly number[] | 'any';
  dnsTimeoutMs: number;
}

/** Resolves `url`'s host once and checks it; throws WebhookTargetError naming why it may not be used. */
export async function resolveWebhookTarget(url: string, policy: WebhookTargetPolicy): Promise<WebhookTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookTargetError('invalid_url', 'url must be an absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new WebhookTargetError('invalid_url', 'url must use http or https');
  if (parsed.username || parsed.password) throw new WebhookTargetError('invalid_url', 'url must not carry credentials');
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  if (policy.allowedPorts !== 'any' && !policy.allowedPorts.includes(port)) {
    throw new WebhookTargetError(
      'port_not_allowed',
      `url's port ${port} is not one webhooks may use (${policy.allowedPorts.join(', ')})`,
    );
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const family = isIP(host);
  const addresses =
    family === 4 || family === 6 ? [{ address: host, family }] : await lookupWithin(host, policy.dnsTimeoutMs);
  if (addresses.length === 0) throw new WebhookTargetError('dns_failure', `url's host ${host} does not resolve`);
  if (!policy.allowPrivateTargets) {
    // Every answer must be public: a name that also resolves inside could be made to pick that one.
    const blocked = addresses.find(({ address }) => isInternalAddress(address));
    if (blocked)
      throw new WebhookTargetError(
        'address_not_allowed',
        `url resolves to ${blocked.address}, a loopback, private or reserved address`,
      );
  }
  const [first] = addresses;
  return { url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * The host's addresses, or none, within `timeoutMs`. getaddrinfo cannot be cancelled: past the deadline its
 * answer is ignored, and the delivery fails as `dns_timeout` instead of waiting on a slow resolver.
 */
export async function lookupWithin(
  host: string,
  timeoutMs: number,
  resolve: (host: string, options: { all: true }) => Promise<{ address: string; family: number }[]> = lookup,
): Promise<{ address: string; family: number }[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new WebhookTargetError('dns_timeout', `url's host ${host} did not resolve within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([resolve(host, { all: true }).catch(() => []), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** For the API: the same check as a 400 `invalid_input` on `url`. */
export async function assertWebhookTarget(url: string, policy: WebhookTargetPolicy): Promise<void> {
  try {
    await resolveWebhookTarget(url, policy);
  } catch (error) {
    if (error instanceof WebhookTargetError) throw new InvalidCommand([{ path: ['url'], message: error.message }]);
    throw error;
  }
}

/**
 * An address as a number of 32 bits (IPv4) or 128 (IPv6, in any form: `::`, a zone id, a dotted tail): what
 * the webhook target check (special-purpose ranges) and the per-address rate limit (an IPv6 /64) compare
 * by prefix.
 */
export function toBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
  let text = address.split('%')[0].toLowerCase(); // a zone id (fe80::1%eth0) names an interface, not an address
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = toBits(dotted[1], 4);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all =
    tail === undefined ? groups(head) : [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
  return all.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

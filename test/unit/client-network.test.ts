import { describe, expect, it } from '@jest/globals';
import { clientNetwork } from '../../src/http/guards.js';

describe('clientNetwork: what the per-address limit counts', () => {
  it('counts an IPv4 address, or an IPv4-mapped one, as itself', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 as one client', () => {
    const network = clientNetwork('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(network).toBe('2001:db8:1:2::/64');
    for (const other of ['2001:db8:1:2::1', '2001:0db8:0001:0002:ffff::', '2001:db8:1:2:0:0:0:9%eth0'])
      expect(clientNetwork(other)).toBe(network);
    expect(clientNetwork('2001:db8:1:3::1')).not.toBe(network);
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
  });
});

import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { isInternalAddress, lookupWithin, resolveWebhookTarget } from '../../src/webhooks/webhook-target.js';

const policy = { allowPrivateTargets: false, allowedPorts: [80, 443, 8080, 8443], dnsTimeoutMs: 2000 };
const privateAllowed = { ...policy, allowPrivateTargets: true };

describe('webhook target addresses', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    'accepts the public address %s',
    (address) => {
      expect(isInternalAddress(address)).toBe(false);
    },
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'shared address space'],
    ['0.0.0.0', 'this network'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped, even of a public address'],
    ['::ffff:0:7f00:1', 'IPv4-translated (::ffff:0:a.b.c.d)'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::a00:1', 'IPv4-compatible, in hex'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['64:ff9b:1::1', 'local NAT64'],
    ['2002:7f00:1::1', '6to4'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['fec0::1', 'site-local'],
    ['100::1', 'discard-only'],
    ['ff02::1', 'multicast'],
    ['not-an-address', 'not an IP address'],
  ])('refuses %s (%s)', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it('resolves a literal once, without DNS, to the address it connects to', async () => {
    await expect(resolveWebhookTarget('http://8.8.8.8/hook', policy)).resolves.toMatchObject({
      address: '8.8.8.8',
      family: 4,
    });
    await expect(resolveWebhookTarget('http://[::ffff:10.0.0.1]/hook', policy)).rejects.toThrow(/reserved address/);
    await expect(resolveWebhookTarget('http://127.0.0.1/hook', privateAllowed)).resolves.toMatchObject({
      address: '127.0.0.1',
    });
  });

  it('takes only the allowed ports, the scheme default included', async () => {
    for (const url of ['http://8.8.8.8/h', 'https://8.8.8.8/h', 'http://8.8.8.8:8080/h', 'https://8.8.8.8:8443/h'])
      await expect(resolveWebhookTarget(url, policy)).resolves.toMatchObject({ address: '8.8.8.8' });
    for (const url of ['http://8.8.8.8:25/h', 'https://8.8.8.8:22/h', 'http://8.8.8.8:443/h'.replace('443', '6379')])
      await expect(resolveWebhookTarget(url, policy)).rejects.toMatchObject({ reason: 'port_not_allowed' });
    await expect(resolveWebhookTarget('http://8.8.8.8:25/h', { ...policy, allowedPorts: 'any' })).resolves.toBeTruthy();
  });

  it('gives up on a host that does not resolve in time, as dns_timeout', async () => {
    const never = () => new Promise<never>(() => undefined);
    const asked = performance.now();
    await expect(lookupWithin('slow.example', 50, never)).rejects.toMatchObject({ reason: 'dns_timeout' });
    expect(performance.now() - asked).toBeLessThan(1000);
    await expect(lookupWithin('x.example', 50, async () => [{ address: '8.8.8.8', family: 4 }])).resolves.toEqual([
      { address: '8.8.8.8', family: 4 },
    ]);
  });

  it('times out a receiver that never answers, on schedule, even with garbage collections meanwhile', () => {
    // A process of its own, with --expose-gc: the built delivery code against a server that never answers.
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', join(import.meta.dirname, '../support/hanging-webhook-receiver.mjs')],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { error: string; elapsedMs: number; collections: number };
    expect(result.error).toMatch(/no answer within 500 ms/);
    expect(result.collections).toBeGreaterThan(5);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(500);
    expect(result.elapsedMs).toBeLessThan(2000);
  });
});

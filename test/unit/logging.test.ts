import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, hideUrlPassword } from '../../src/common/logging.js';
import { PinoNestLogger } from '../../src/http/pino-nest-logger.js';

/** What the logger wrote, one parsed JSON record per line. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', format: 'json' }, destination), lines };
}

describe('log redaction', () => {
  const key = `seam_0123abcd_${'k'.repeat(32)}`;
  const webhookSecret = `whsec_${'s'.repeat(32)}`;

  it('hides secrets in headers, in any field named for one, in URLs and in messages', () => {
    const { logger, lines } = capture();
    logger.info(
      { req: { method: 'GET', url: `/connect_webviews/view?connect_webview_id=x&auth_token=tok123456` } },
      'r',
    );
    logger.info({ headers: { authorization: `Bearer ${key}` } }, 'headers');
    logger.info(
      { webhook: { secret: webhookSecret, url: 'https://example.com' }, login: { password: 'hunter22' } },
      'f',
    );
    logger.info({ body: { api_key: key, auth_token: 'tok123456' } }, 'body');
    logger.warn(`could not use Bearer ${key} for /devices/list?api_key=${key}, nor ${webhookSecret}`);
    logger.error({ err: new Error(`refused ${key}`) }, 'failed');
    new PinoNestLogger(logger).error(`Nest saw ${key}`, `Error: ${key}\n    at somewhere`, 'Context');
    const all = lines.join('\n');
    for (const secret of [key, webhookSecret, 'hunter22', 'tok123456']) expect(all).not.toContain(secret);
    expect(all.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(10);
    // What is not secret stays readable.
    expect(all).toContain('connect_webview_id=x');
    expect(all).toContain('https://example.com');
    expect(JSON.parse(lines[1]).headers.authorization).toBe('[redacted]');
  });

  it('hides a whole key or secret whatever its - and _ are, at every position', () => {
    const { logger, lines } = capture();
    const secrets: string[] = [];
    for (let at = 0; at < 32; at++) {
      for (const mark of ['-', '_']) {
        const tail = 'A'.repeat(at) + mark + 'z'.repeat(31 - at);
        secrets.push(`seam_0123abcd_${tail}`, `whsec_${tail}`, `seam_0123abcd_${tail.replaceAll('A', mark)}`);
      }
    }
    for (const secret of secrets) logger.warn(`refused ${secret}, then stopped`);
    const all = lines.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret.slice(-8));
    expect(all.match(/refused \[redacted\], then stopped/g)?.length).toBe(secrets.length);
  });

  it("hides a URL's password in messages and in descriptions of a store", () => {
    const { logger, lines } = capture();
    logger.error('could not reach postgres://cms:s3cret-pw@db:5432/cms: refused');
    expect(lines.join('\n')).not.toContain('s3cret-pw');
    expect(lines.join('\n')).toContain('postgres://cms:***@db:5432/cms');
    expect(hideUrlPassword('esdb://admin:changeit@a:2113?tls=false')).toBe('esdb://admin:***@a:2113?tls=false');
    expect(hideUrlPassword('esdb://a:2113?tls=false')).toBe('esdb://a:2113?tls=false');
  });
});

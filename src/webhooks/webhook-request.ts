import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { WebhookTarget } from './webhook-target.js';

/**
 * POSTs `body` to a checked target, connecting to the address that was checked (the URL's host still goes
 * in Host and, over TLS, in SNI and the certificate check). Resolves with the status code; rejects on a
 * network error, on `stop`, or after `timeoutMs`. The deadline is a plain timer, which no garbage
 * collection can lose (an `AbortSignal.timeout` combined by `AbortSignal.any` could be, and a receiver that
 * never answered then held its webhook's queue).
 */
/** The receiver did not answer within the deadline. */
export class DeliveryTimeout extends Error {}

export function postToWebhook(
  target: WebhookTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<number> {
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(target.url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: (_hostname, options, callback) => {
        // Node asks for every address when `options.all` is set, and for one otherwise.
        if ((options as { all?: boolean }).all) callback(null, [{ address: target.address, family: target.family }]);
        else (callback as (e: null, a: string, f: number) => void)(null, target.address, target.family);
      },
    });
    const fail = (error: Error) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      req.destroy(error);
      reject(error);
    };
    const timer = setTimeout(() => fail(new DeliveryTimeout(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onStop = () => fail(new Error('delivery stopped: the service is shutting down'));
    stop.addEventListener('abort', onStop, { once: true });
    req.on('response', (response) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      response.resume(); // the receiver's body is not read: its status is the answer
      req.destroy();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', (error) => fail(error));
    req.end(body);
  });
}

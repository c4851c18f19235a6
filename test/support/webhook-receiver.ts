import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  body: string;
  headers: IncomingHttpHeaders;
  receivedAt: number;
}

/**
 * A webhook receiver on loopback. `respond` decides each answer: a status code, or 'hang' (never answer).
 * Only deliveries answered 2xx count as received.
 */
export class WebhookReceiver {
  readonly attempts: Delivery[] = [];
  readonly received: Delivery[] = [];
  respond: (attempt: number) => number | 'hang' = () => 200;
  private server: Server | undefined;
  private hanging: ServerResponse[] = [];
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const delivery = { body, headers: request.headers, receivedAt: Date.now() };
        this.attempts.push(delivery);
        const answer = this.respond(this.attempts.length);
        if (answer === 'hang') {
          this.hanging.push(response);
          return;
        }
        if (answer >= 200 && answer < 300) this.received.push(delivery);
        response.statusCode = answer;
        response.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline)
        throw new Error(`receiver: condition not met in ${timeoutMs} ms (${this.attempts.length} attempts)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async stop(): Promise<void> {
    this.hanging.forEach((response) => response.destroy());
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

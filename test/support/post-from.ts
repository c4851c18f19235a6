import { request } from 'node:http';

/** A JSON POST from a chosen local address (127.0.0.2, …): a client the server sees at another address. */
export function postFrom(
  localAddress: string,
  url: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (response) => {
        let answer = '';
        response.on('data', (chunk: Buffer) => (answer += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(answer) }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

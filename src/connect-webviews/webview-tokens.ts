import { createHmac, type KeyObject } from 'node:crypto';
import type { DataKeys } from '../encryption/data-keys.js';

/**
 * A webview's `auth_token`, derived rather than stored: an HMAC of its id under a key of the service's own,
 * kept in the key store. The log and the read models hold no token, and every instance sharing the key store
 * derives the same one. With encryption off there is no key store, and tokens are random and stored (as
 * they were before), so `tokenFor` answers undefined.
 */
export class WebviewTokens {
  private key: KeyObject | undefined;

  constructor(private readonly keys: DataKeys | undefined) {}

  /** Loads the key once, at start-up, so that deriving is synchronous. */
  async load(): Promise<void> {
    this.key = await this.keys?.keyFor('service:webview-token', { workspaceId: null, ownerId: null });
  }

  get derived(): boolean {
    return this.keys !== undefined;
  }

  tokenFor(connectWebviewId: string): string | undefined {
    if (!this.keys) return undefined;
    if (!this.key) throw new Error('WebviewTokens.load() was not awaited');
    return createHmac('sha256', this.key).update(connectWebviewId).digest().subarray(0, 24).toString('base64url');
  }
}

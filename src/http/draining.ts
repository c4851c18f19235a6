import { SeamError } from './seam-error.js';

/**
 * Set when the process has been told to stop. Until the listener closes (SHUTDOWN_DRAIN_MS later), every
 * connection it accepts is answered: a request that had started gets its real answer; a new one gets 503
 * `shutting_down` with `Retry-After` past the moment the listener closes and `Connection: close`, so a client
 * that keeps sending, with no load balancer in front, waits instead of connecting as the listener closes
 * (a connection still queued then would be reset: its client could not tell whether its write happened).
 * Once the listener is closed, a new connection is refused: never sent, so nothing happened.
 */
export class Draining {
  active = false;
  /** When the listener closes (ms since the epoch), once draining. */
  listenerClosesAt = 0;

  start(drainMs: number): void {
    this.active = true;
    this.listenerClosesAt = Date.now() + drainMs;
  }

  /** For a request that arrives while draining: 503 `shutting_down`, retried after the listener has closed. */
  refusal(): SeamError {
    const error = new SeamError(503, 'shutting_down', 'This instance is shutting down: retry on another one');
    const seconds = Math.max(1, Math.ceil((this.listenerClosesAt - Date.now()) / 1000) + 1);
    error.headers = { 'retry-after': String(seconds), connection: 'close' };
    return error;
  }
}

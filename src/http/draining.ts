/**
 * Set when the process has been told to stop: readiness answers 503 `shutting_down` and every answer closes
 * its connection, so load balancers and keep-alive clients move away during the drain period, before the
 * server stops listening (a listener that closes resets the connections still waiting to be accepted).
 */
export class Draining {
  active = false;
}

import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';

/**
 * Whether the read models have reached the head of the log the service started with. Until they have,
 * answers would be stale (and keys issued meanwhile unknown), so routes answer 503 `catching_up` and
 * `/health` says how far along it is. Set by the start-up that knows the head (CoreModule).
 */
export class CatchUp {
  private target: number | null = null;
  /** How far a rebuild into a fresh file has come: the projector starts only once it is live. */
  private rebuilt = 0;

  constructor(private readonly projector: CheckpointedConsumer) {}

  /** From now until the projector reaches `position`, the service is catching up. */
  until(position: number): void {
    this.target = position;
  }

  /** A rebuild at start has reached `position` in its fresh file. */
  rebuiltUpTo(position: number): void {
    this.rebuilt = position;
  }

  /** Where the read models are and where they are going, or null once they are there. */
  status(): { position: number; target: number } | null {
    if (this.target === null) return null;
    const position = Math.max(this.projector.status().position, this.rebuilt);
    if (position >= this.target) {
      this.target = null;
      return null;
    }
    return { position, target: this.target };
  }
}

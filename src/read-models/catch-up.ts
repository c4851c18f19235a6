import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';

/**
 * Whether the read models have reached the head of the log the service started with. Until they have,
 * answers would be stale (and keys issued meanwhile unknown), so routes answer 503 `catching_up` and
 * `/health` says how far along it is. Set by the start-up that knows the head (CoreModule).
 */
export class CatchUp {
  private target: number | null = null;
  /** How far a rebuild into a fresh file has come, while there is one: it serves nothing until it is live. */
  private rebuild: { position: number } | null = null;

  constructor(private readonly projector: CheckpointedConsumer) {}

  /** From now until the projector reaches `position`, the service is catching up. */
  until(position: number): void {
    this.target = position;
  }

  /** A rebuild at start has reached `position` in its fresh file; null once that file is live, or given up. */
  rebuilding(position: number | null): void {
    this.rebuild = position === null ? null : { position };
  }

  /** Where the read models are and where they are going, or null once they are there. */
  status(): { position: number; target: number } | null {
    if (this.target === null) return null;
    if (this.rebuild) return { position: this.rebuild.position, target: this.target };
    const position = this.projector.status().position;
    if (position >= this.target) {
      this.target = null;
      return null;
    }
    return { position, target: this.target };
  }
}

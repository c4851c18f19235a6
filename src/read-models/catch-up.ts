import type { CheckpointedConsumer } from '../event-store/checkpointed-consumer.js';

/** A projection being rebuilt into a new file: how far it has come. */
export interface ProjectionRebuild {
  projection: string;
  from_version: number | null;
  to_version: number;
  position: number;
  target: number;
  /** Whether an older version serves meanwhile (an upgrade), or nothing does (routes answer 503). */
  serving_older_version: boolean;
}

/**
 * Whether the read models have reached the head of the log the service started with. Until they have,
 * answers would be stale (and keys issued meanwhile unknown), so routes answer 503 `catching_up` and
 * `/health` says how far along it is. An upgrade is not catching up: a projection rebuilt beside an older
 * version that keeps serving shows only among `rebuilds()`. Set by the start-up that knows the head
 * (ReadModelLifecycle).
 */
export class CatchUp {
  private target: number | null = null;
  private readonly rebuilding = new Map<string, ProjectionRebuild>();

  constructor(private readonly projector: CheckpointedConsumer) {}

  /** From now until the projector reaches `position`, the service is catching up. */
  until(position: number): void {
    this.target = position;
  }

  /** A projection's rebuild has reached `rebuild.position`; `null` once its file is live, or given up. */
  rebuild(projection: string, rebuild: ProjectionRebuild | null): void {
    if (rebuild) this.rebuilding.set(projection, rebuild);
    else this.rebuilding.delete(projection);
  }

  rebuilds(): ProjectionRebuild[] {
    return [...this.rebuilding.values()];
  }

  /** Where the read models are and where they are going, or null once they are there. */
  status(): { position: number; target: number } | null {
    if (this.target === null) return null;
    const unserved = this.rebuilds().find((rebuild) => !rebuild.serving_older_version);
    if (unserved) return { position: unserved.position, target: this.target };
    const position = this.projector.status().position;
    if (position >= this.target) {
      this.target = null;
      return null;
    }
    return { position, target: this.target };
  }
}

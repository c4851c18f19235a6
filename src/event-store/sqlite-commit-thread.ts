import type { Worker } from 'node:worker_threads';
import { startWorker } from '../common/worker-thread.js';
import { EventStoreUnavailableError } from './event-store.js';
import { failureFromWire, fromWire, type AppendOutcome, type WireFailure, type WireOutcome } from './sqlite-appends.js';
import type { PendingAppend } from './stored-events.js';

export interface CommitThreadData {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
}

export interface CommitRequest {
  id: number;
  group: readonly PendingAppend[];
}

type CommitAnswer = { id: number; outcomes: WireOutcome[] } | { id: number; failure: WireFailure };

interface Waiting {
  resolve: (outcomes: (AppendOutcome | Error)[]) => void;
  reject: (error: Error) => void;
}

/**
 * The SQLite log's commits run on a thread of their own (sqlite-commit-worker.ts), so the event loop keeps
 * serving while a commit waits for its fsync. The thread starts at the first append. It holds the process
 * open only while a commit is in flight, and one that dies is started again at the next append.
 */
export class SqliteCommitThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  constructor(private readonly data: CommitThreadData) {}

  commit(group: readonly PendingAppend[]): Promise<(AppendOutcome | Error)[]> {
    if (this.closed) return Promise.reject(new EventStoreUnavailableError('the event store is closed'));
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, group } satisfies CommitRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = startWorker(new URL('./sqlite-commit-worker.js', import.meta.url), this.data);
    worker.unref();
    worker.on('message', (answer: CommitAnswer) => this.answer(answer));
    const lost = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      // The commit may have landed before the thread died: retrying with the same event ids is safe.
      for (const { reject } of this.waiting.values()) reject(error);
      this.waiting.clear();
    };
    worker.on('error', (error) => lost(new EventStoreUnavailableError('the commit thread failed', { cause: error })));
    worker.on('exit', (code) => lost(new EventStoreUnavailableError(`the commit thread exited (${code})`)));
    return worker;
  }

  private answer(answer: CommitAnswer): void {
    const waiting = this.waiting.get(answer.id);
    if (!waiting) return;
    this.waiting.delete(answer.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if ('failure' in answer) waiting.reject(failureFromWire(answer.failure));
    else waiting.resolve(answer.outcomes.map(fromWire));
  }
}

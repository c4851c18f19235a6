/**
 * Runs the tasks given the same key one after another, in the order given; tasks of other keys run
 * alongside. For a check-then-write that must not interleave with another of the same key in this process
 * (a workspace's webhook cap, say). Keys with nothing queued take no memory.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

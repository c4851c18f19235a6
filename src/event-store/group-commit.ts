/**
 * Group commit: appends that arrive together are committed together, in one transaction and so one fsync,
 * and each submitter is answered only once that commit is done. `commit` answers each item in order, with
 * its result or the error that refused that item alone; an exception it throws refuses the whole group.
 */
interface Submitted<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/** Answers each submitter of a group with its own outcome. */
function answer<Item, Result>(group: Submitted<Item, Result>[], outcomes: (Result | Error)[]): void {
  group.forEach((entry, index) => {
    const outcome = outcomes[index];
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  });
}

/**
 * One commit in flight at a time (a round trip to PostgreSQL, or SQLite's commit thread), and whatever is
 * submitted meanwhile goes together in the next. Under load the groups grow by themselves; alone, an append
 * waits for no one.
 */
export class GroupCommit<Item, Result> {
  private pending: Submitted<Item, Result>[] = [];
  private inFlight: Promise<void> | undefined;

  constructor(private readonly commit: (items: readonly Item[]) => Promise<(Result | Error)[]>) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.inFlight ??= this.drain();
    });
  }

  /** Resolves once everything submitted so far is committed or refused. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async drain(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve)); // the submitters of this turn join the first group
    while (this.pending.length > 0) {
      const group = this.pending;
      this.pending = [];
      let outcomes: (Result | Error)[];
      try {
        outcomes = await this.commit(group.map((entry) => entry.item));
      } catch (error) {
        for (const entry of group) entry.reject(error);
        continue;
      }
      answer(group, outcomes);
    }
    this.inFlight = undefined;
  }
}

// What bench/write-path.mjs and bench/as-of.mjs share: a build of this project (--dist, to measure an older
// one in the same run), a store holding one device, and updates of the largest metadata allowed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const { values: options } = parseArgs({
  options: {
    dist: { type: 'string', default: join(import.meta.dirname, '../../dist') },
    events: { type: 'string', default: '10000' },
  },
});
export const load = (path) => import(pathToFileURL(resolve(options.dist, path)).href);

const { SqliteEventStore } = await load('event-store/sqlite-event-store.js');
// Builds before the DeciderCommandHandler had a function, handleCommand, in handle-command.js (and before
// that in decider.js).
const handleCommandOf = async (store) => {
  const current = await load('event-store/decider-command-handler.js').catch(() => undefined);
  if (current) {
    const commands = new current.DeciderCommandHandler(store);
    return (stream, decider, command) => commands.handle({ decider, streamId: stream }, command);
  }
  const { handleCommand } = await load('event-store/handle-command.js').catch(() => load('event-store/decider.js'));
  return (stream, decider, command) => handleCommand(store, stream, decider, command);
};
const { deviceDecider } = await load('devices/device.js');
const actor = { type: 'cli' };

/** 50 keys of 500 characters, all changed by each `n`. */
const metadata = (n) => Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`key_${k}`, `${n}`.padEnd(500, 'x')]));

/** A fresh SQLite store holding device d1; `update(n)` appends one update; `events` counts the stream. */
export async function deviceStream() {
  const dir = mkdtempSync(join(tmpdir(), 'cms-bench-device-'));
  const store = new SqliteEventStore(join(dir, 'events.db'));
  const device = {
    device_id: 'd1',
    workspace_id: 'w1',
    connected_account_id: 'a1',
    connect_webview_id: 'c1',
    provider: 'august',
    device_type: 'august_lock',
    name: 'Door',
    model: 'm',
  };
  const handleCommand = await handleCommandOf(store);
  await handleCommand('device-d1', deviceDecider, { type: 'AddDevice', device, actor, now: 'now' });
  const stream = {
    store,
    events: 2,
    async update() {
      const command = {
        type: 'UpdateDevice',
        deviceId: 'd1',
        workspaceId: 'w1',
        managed: true,
        customMetadata: metadata(stream.events),
        actor,
        now: 'now',
      };
      await handleCommand('device-d1', deviceDecider, command);
      stream.events += 1;
    },
    /** Appends updates until the stream holds `count` events. */
    async growTo(count) {
      while (stream.events < count) await stream.update();
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return stream;
}

/**
 * The longest single call measured so far, in ms: an upper bound on the longest the event loop was blocked
 * by one request's work (a call that awaits I/O counts its waiting too).
 */
export const longest = { ms: 0 };

export async function median(runs, run) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  longest.ms = Math.max(longest.ms, ...times);
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/**
 * The medians of `runs` timings of each of `a` and `b`, taken in turns (a, b, a, b, ...), so that whatever
 * drifts over a process's life (the JIT's tiers, the heap's size, the garbage collector's phase, the
 * machine's other work) weighs on both alike. One warm-up call of each is not timed.
 */
export async function interleavedMedians(runs, a, b) {
  await a();
  await b();
  const times = { a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of [
      ['a', a],
      ['b', b],
    ]) {
      const started = performance.now();
      await run();
      times[name].push(performance.now() - started);
    }
  }
  longest.ms = Math.max(longest.ms, ...times.a, ...times.b);
  const medianOf = (list) => list.sort((x, y) => x - y)[Math.floor(runs / 2)];
  return [medianOf(times.a), medianOf(times.b)];
}

/**
 * A stream of about 10 events and one of `--events`, each in its own store; `measure(stream)` gives the call
 * to time on each, and both are timed in turns (`interleavedMedians`). Returns the two medians.
 */
export async function atBothLengths(runs, measure) {
  const short = await deviceStream();
  const long = await deviceStream();
  try {
    await short.growTo(10);
    await long.growTo(Number(options.events));
    return await interleavedMedians(runs, measure(short), measure(long));
  } finally {
    await short.close();
    await long.close();
  }
}

import type { EventStore } from '../event-store/event-store.js';
import { READ_MODELS_CONSUMER } from '../read-models/projector.js';
import type { CustomMetadataChanges } from '../custom-metadata/custom-metadata.js';
import {
  customMetadataHistory,
  erasedAt,
  readResourceStream,
  type AuditedResource,
  type CustomMetadataHistoryEntry,
} from './audit.js';
import { ReadModelDatabase, removeReadModelFiles } from '../read-models/read-model-database.js';
import { copyLiveProjections, liveReadModelsPath, newReplayPath, removeDatabaseFiles } from './read-model-files.js';
import { progressOf, promoteReadModels, replayInto, type ReplayProgress, type ReplaySetup } from './replay.js';
import { compareReadModels, type ReadModelDifference } from './verify.js';
import { awaitSwapReport, requestSwap, runningServerPid } from './swap-requests.js';

export type ThreadedBuild = (
  parts: { name: string; path: string }[],
  onProgress: (position: number) => void,
) => Promise<number>;

/** Where the CLI writes: results to stdout, progress and diagnostics to stderr. */
export interface Terminal {
  out(line: string): void;
  err(text: string): void;
  isTTY: boolean;
}

/**
 * `replay [--verify] [--swap]`. Returns the exit status: 1 when --verify found a difference or the swap
 * failed. Rebuilding never touches the live read models, so a running server keeps serving throughout.
 */
export async function replayCommand(
  store: EventStore,
  dataDir: string,
  setup: ReplaySetup,
  options: { verify: boolean; swap: boolean },
  terminal: Terminal,
  /**
   * Builds projections into the files named on threads of their own (rebuildProjectionsInWorker), as a
   * server's rebuild does (`--threads`): faster on two cores, at the cost of a heap per thread. Not with
   * --verify, which compares on this thread as it goes.
   */
  buildOnThreads?: ThreadedBuild,
): Promise<number> {
  const livePath = liveReadModelsPath(dataDir);
  const rebuiltPath = newReplayPath(dataDir);
  let rebuilt = new ReadModelDatabase(rebuiltPath, setup.schema);
  const threaded = !options.verify && buildOnThreads !== undefined;
  if (!threaded) rebuilt.bulkLoad();
  const progress = progressReporter(terminal);
  const started = performance.now();
  let status = 0;
  let events = 0;
  try {
    if (options.verify) {
      // Each projection compared at its live checkpoint, on a consistent copy (a running server keeps
      // changing the original): the rebuild stops at each copy's checkpoint in turn, lowest first.
      const copies = await copyLiveProjections(livePath, rebuilt);
      try {
        const differences: ReadModelDifference[] = [];
        for (const copy of copies.sort((a, b) => a.checkpoint - b.checkpoint)) {
          events += await replayInto(store, rebuilt, copy.checkpoint, progress);
          const part = rebuilt.part(copy.name);
          if (copy.version !== part.version) {
            terminal.out(
              `verify: ${copy.name} not compared: the live file holds version ${copy.version}, the rebuild ${part.version}`,
            );
            continue;
          }
          part.writeDerivedRowsNow();
          differences.push(...compareReadModels(copy.path, part.path));
        }
        progress.done();
        const positions = [...new Set(copies.map((copy) => copy.checkpoint))].join(', ');
        if (differences.length === 0) {
          terminal.out(`verify: the rebuilt read models equal the live ones at position ${positions}`);
        } else {
          status = 1;
          terminal.out(`verify: ${differences.length} table(s) differ at position ${positions}`);
          for (const { table, onlyLive, onlyRebuilt, examples } of differences) {
            terminal.out(`  ${table}: ${onlyLive} row(s) only in live, ${onlyRebuilt} only in rebuilt`);
            for (const { side, row } of examples) terminal.out(`    ${side.padEnd(8)} ${JSON.stringify(row)}`);
          }
        }
      } finally {
        for (const copy of copies) removeDatabaseFiles(copy.path);
      }
    }
    if (threaded) {
      // Each file is built, made durable and closed by its thread; the set is opened again once they are.
      const parts = rebuilt.parts.map(({ name, path }) => ({ name, path }));
      rebuilt.close();
      const target = await store.headPosition();
      const startedAt = performance.now();
      events += await buildOnThreads(parts, (position) =>
        progress(progressOf({ start: 0, position, target, startedAt })),
      );
      rebuilt = new ReadModelDatabase(rebuiltPath, setup.schema);
      events += await replayInto(store, rebuilt, await store.headPosition(), progress);
    } else {
      events += await replayInto(store, rebuilt, await store.headPosition(), progress);
      rebuilt.makeDurable();
    }
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    terminal.out(
      `replay: ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / Math.max(seconds, 1e-3))} events/s), ` +
        `peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB, into ${rebuiltPath}`,
    );
  } catch (error) {
    rebuilt.close();
    removeReadModelFiles(rebuiltPath);
    throw error;
  }

  if (!options.swap) {
    rebuilt.close();
    if (options.verify) removeReadModelFiles(rebuiltPath);
    else terminal.out('The live read models are unchanged; run with --swap to make the rebuilt ones live.');
    return status;
  }

  const serverPid = runningServerPid(dataDir);
  if (serverPid !== null) {
    rebuilt.close();
    requestSwap(dataDir, rebuiltPath, serverPid);
    const report = await awaitSwapReport(dataDir, rebuiltPath, 120_000);
    terminal.out(
      report.ok ? 'swap: the running server now serves the rebuilt read models' : `swap failed: ${report.error}`,
    );
    return report.ok ? status : 1;
  }
  const live = new ReadModelDatabase(livePath, setup.schema);
  await promoteReadModels(store, dataDir, live, rebuilt, setup.carriedCheckpoints);
  const checkpoint = live.checkpoint(READ_MODELS_CONSUMER);
  live.close();
  terminal.out(`swap: the rebuilt read models are live (no server was running), at position ${checkpoint}`);
  return status;
}

/** A bar on a terminal; a plain line every two seconds otherwise (logs, CI). */
function progressReporter(terminal: Terminal) {
  let lastLine = 0;
  let drawn = false;
  const report = (p: ReplayProgress) => {
    const left = p.secondsLeft === null ? '?' : `${Math.ceil(p.secondsLeft)} s`;
    const share = p.target > 0 ? Math.min(p.position / p.target, 1) : 1;
    if (terminal.isTTY) {
      const width = 30;
      const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '-');
      terminal.err(
        `\r[${bar}] ${p.events.toLocaleString('en')} events  ${Math.round(p.eventsPerSecond).toLocaleString('en')} events/s  ${left} left   `,
      );
      drawn = true;
    } else if (performance.now() - lastLine > 2000) {
      lastLine = performance.now();
      terminal.err(
        `replay: ${p.events} events (${Math.round(share * 100)}%), ${Math.round(p.eventsPerSecond)} events/s, ${left} left\n`,
      );
    }
  };
  report.done = () => {
    if (drawn) terminal.err('\n');
    drawn = false;
  };
  return report;
}

/** `history --device-id ID` (or --connected-account-id, --connect-webview-id): a timeline, or --json. */
export async function historyCommand(
  store: EventStore,
  resource: AuditedResource,
  json: boolean,
  terminal: Terminal,
): Promise<void> {
  const entries = customMetadataHistory(await readResourceStream(store, resource, null));
  const erased = await erasedAt(store, resource);
  if (json) {
    terminal.out(JSON.stringify(erased ? { erased_at: erased, entries } : entries, null, 2));
    return;
  }
  terminal.out(`Custom metadata of ${resource.type.replace('_', ' ')} ${resource.id}: ${entries.length} change(s)`);
  if (erased) terminal.out(`Deleted at ${erased}: its data was erased with it`);
  for (const entry of entries) {
    terminal.out('');
    terminal.out(
      `${entry.occurred_at}  revision ${entry.revision}  ${describeCause(entry)}  by ${describeActor(entry)}`,
    );
    for (const line of describeChanges(entry.changes)) terminal.out(`    ${line}`);
    terminal.out(`    = ${JSON.stringify(entry.custom_metadata)}`);
  }
}

function describeCause({ cause }: CustomMetadataHistoryEntry): string {
  return 'connect_webview_id' in cause ? `${cause.type} (webview ${cause.connect_webview_id})` : cause.type;
}

function describeActor({ actor }: CustomMetadataHistoryEntry): string {
  switch (actor.type) {
    case 'api_key':
      return `API key ${actor.api_key_id}`;
    case 'completion_saga':
      return `the completion saga (webview ${actor.connect_webview_id})`;
    case 'end_user':
      return `the end user (webview ${actor.connect_webview_id})`;
    default:
      return actor.type;
  }
}

function describeChanges(changes: CustomMetadataChanges): string[] {
  const value = (v: unknown) => JSON.stringify(v);
  const lines = [
    ...Object.entries(changes.added).map(([k, v]) => `+ ${k}: ${value(v)}`),
    ...Object.entries(changes.changed).map(([k, c]) => `~ ${k}: ${value(c.from)} -> ${value(c.to)}`),
    ...Object.entries(changes.removed).map(([k, v]) => `- ${k}: ${value(v)}`),
  ];
  return lines.length > 0 ? lines : ['(no change)'];
}

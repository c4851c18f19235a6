import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParkedSagaEvents, decideCompletion } from '../../src/completion/index.js';
import { connectWebviewDecider } from '../../src/connect-webviews/connect-webview.js';
import { connectedAccountDecider } from '../../src/connected-accounts/connected-account.js';
import type { RecordedEvent } from '../../src/event-store/event-store.js';
import { SqliteEventStore } from '../../src/event-store/sqlite-event-store.js';
import { streams } from '../../src/event-store/streams.js';
import { sandboxDevices } from '../../src/providers/sandbox-accounts.js';
import { ReadModelDatabase } from '../../src/read-models/read-model-database.js';
import { openCompletionSaga } from '../../src/runtime.js';
import { commandsOn } from '../support/command-bus.js';
import { webviewCreated } from '../support/domain-fixtures.js';

const quiet = { error: () => undefined, log: () => undefined };

/** A log (a real SQLite file) holding a created webview and its WebviewCompleted: what the saga works from. */
async function logWithACompletion() {
  const dir = mkdtempSync(join(tmpdir(), 'cms-saga-'));
  const path = join(dir, 'events.db');
  const store = new SqliteEventStore(path);
  const webviewId = randomUUID();
  const stream = streams.connectWebview(webviewId);
  await store.append(
    stream,
    [{ id: randomUUID(), ...webviewCreated({ connect_webview_id: webviewId }), metadata: { schema_version: 1 } }],
    { expectedRevision: 'no_stream' },
  );
  const commands = await commandsOn(store, dir);
  await commands.handler.handle(
    { decider: connectWebviewDecider, streamId: stream },
    {
      type: 'CompleteConnectWebview',
      connectWebviewId: webviewId,
      workspaceId: null,
      provider: 'august',
      email: 'twice@example.com',
      loginSucceeded: true,
      devices: sandboxDevices('august', 'twice@example.com', 1),
      connectedAccountId: randomUUID(),
      authToken: 'token-1',
      endUserAccess: { maxFailures: 10, lockoutMs: 60_000, tokenTtlMs: 365 * 86_400_000 }, // the fixture's webview is old
      actor: { type: 'system' },
      now: new Date().toISOString(),
    },
  );
  await commands.close();
  return { dir, path, store, webviewId };
}

/** A saga instance of its own (its own connection to the log, checkpoint and parking file), run to the head. */
async function runSagaInstance(path: string, dir: string) {
  const store = new SqliteEventStore(path);
  const checkpoints = new ReadModelDatabase(':memory:', { projections: [] });
  const parked = new ParkedSagaEvents({ dataDir: mkdtempSync(join(dir, 'instance-')), eventStore: { kind: 'sqlite' } });
  // The saga's steps go through a CommandBus to the feature command handlers, as in the server.
  const commands = await commandsOn(store, dir);
  const saga = openCompletionSaga(commands.completion, checkpoints, parked, quiet);
  saga.start();
  await saga.waitForPosition(await store.headPosition(), 20_000);
  return {
    parked,
    sent: commands.sent,
    stop: async () => {
      await saga.stop();
      await commands.close();
      await store.close();
      checkpoints.close();
      await parked.close();
    },
  };
}

/** How many events of each type the completion produced, across every stream but the webview's creation. */
async function effects(store: SqliteEventStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const event of (await store.readAll()) as RecordedEvent[]) {
    const key = `${event.stream.split('-')[0]} ${event.type}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const ONCE = {
  'connect_webview ConnectWebviewCreated': 1,
  'connect_webview WebviewCompleted': 1,
  'connected_account ConnectedAccountCreated': 1,
  'connected_account MetadataSet': 1,
  'device DeviceAdded': 2,
  'device MetadataSet': 2,
  'connect_webview ConnectWebviewAuthorized': 1,
};

describe('completion saga on one log', () => {
  it('run by two instances at once, produces each effect once', async () => {
    const { dir, path, store } = await logWithACompletion();
    const instances = await Promise.all([runSagaInstance(path, dir), runSagaInstance(path, dir)]);
    await Promise.all(instances.map((instance) => instance.stop()));
    expect(await effects(store)).toEqual(ONCE);
    // Each instance's steps went to the feature command handlers on its CommandBus, as HTTP's commands do.
    for (const { sent } of instances) {
      expect([...new Set(sent)].sort()).toEqual([
        'ConnectWebviewCommandMessage',
        'ConnectedAccountCommandMessage',
        'DeviceCommandMessage',
      ]);
    }
    await store.close();
  });

  it('restarted after a crash between the account step and the devices step, produces each effect once', async () => {
    const { dir, path, store, webviewId } = await logWithACompletion();
    // What a crash leaves: the account step done, the devices and link not yet.
    const [completed] = await store.readStream(streams.connectWebview(webviewId), {
      types: { only: ['WebviewCompleted'] },
    });
    const commands = await commandsOn(store, dir);
    const [accountStep] = decideCompletion({
      eventId: completed.id,
      completed: completed.data as never,
      webview: await commands.handler.state({
        decider: connectWebviewDecider,
        streamId: streams.connectWebview(webviewId),
      }),
      account: connectedAccountDecider.initialState(),
    });
    if (accountStep.target !== 'connected_account') throw new Error('the account step comes first');
    await commands.completion.send(accountStep);
    await commands.close();

    const restarted = await runSagaInstance(path, dir);
    expect(await restarted.parked.count()).toBe(0);
    await restarted.stop();
    expect(await effects(store)).toEqual(ONCE);
    await store.close();
  });
});

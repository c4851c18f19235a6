import { afterAll, describe, it } from '@jest/globals';
import { EventStoreDbEventStore } from '../../src/event-store/eventstoredb-event-store.js';
import { eventStoreContract } from './event-store-contract.js';
import { newKeysDir, sealed } from '../support/sealed-store.js';

/**
 * The same contract suite against EventStoreDB: the server at EVENTSTORE_CONNECTION_STRING when set, or
 * one started with testcontainers where a Docker engine exists. Otherwise the suite is skipped, saying why.
 */
async function eventStoreDb(): Promise<{ connectionString: string; stop: () => Promise<void> } | { skip: string }> {
  if (process.env.EVENTSTORE_CONNECTION_STRING) {
    return { connectionString: process.env.EVENTSTORE_CONNECTION_STRING, stop: async () => undefined };
  }
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    // No Docker engine (or other runtime) here: nothing to run the suite against, said in one line.
    return {
      skip: `no EVENTSTORE_CONNECTION_STRING and no container runtime (${String((error as Error).message ?? error).split('\n')[0]})`,
    };
  }
  // A runtime exists: a container that will not start (a bad image tag, a broken engine) is a failure under
  // CI=true, never a silent skip.
  try {
    const container = await new GenericContainer('eventstore/eventstore:24.10')
      .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_MEM_DB: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None' })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .withStartupTimeout(120_000)
      .start();
    return {
      connectionString: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
      stop: async () => void (await container.stop()),
    };
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`A container runtime exists, but EventStoreDB did not start: ${String(error)}`, { cause: error });
    }
    return {
      skip: `EventStoreDB's container did not start (${String((error as Error).message ?? error).split('\n')[0]})`,
    };
  }
}

const server = await eventStoreDb();

if ('skip' in server) {
  console.warn(`SKIPPED the EventStoreDB contract suite: ${server.skip}`);
  describe.skip('event store contract: eventstoredb', () => {
    it(`skipped: ${server.skip}`, () => undefined);
  });
} else {
  afterAll(() => server.stop());
  eventStoreContract('eventstoredb', {
    create: async () => new EventStoreDbEventStore(server.connectionString),
    otherProcess: { kind: 'eventstoredb', location: server.connectionString },
    uniqueEventIdsAcrossStreams: false,
  });

  const keysDir = newKeysDir();
  eventStoreContract('eventstoredb, encryption on', {
    create: async () => sealed(new EventStoreDbEventStore(server.connectionString), { keysDir }),
    otherProcess: { kind: 'eventstoredb', location: server.connectionString, sealed: { keysDir } },
    uniqueEventIdsAcrossStreams: false,
  });
}

// Appends one event to EventStoreDB from a separate process, with the built adapter (dist/).
// Usage: node eventstoredb-child.mjs <connection string> <stream> <event json>
import { EventStoreDbEventStore } from '../../dist/event-store/eventstoredb-event-store.js';

const [connectionString, stream, event] = process.argv.slice(2);
const store = new EventStoreDbEventStore(connectionString);
await store.append(stream, [JSON.parse(event)], { expectedRevision: 'any' });
await store.close();

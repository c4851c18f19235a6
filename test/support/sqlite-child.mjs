// Runs in a separate Node process against the same SQLite file, using the built adapter (dist/).
// Usage: node sqlite-child.mjs <db path> append <stream> <event json>
//        node sqlite-child.mjs <db path> race <stream> <rounds>   (append at the head revision, count wins)
import { SqliteEventStore } from '../../dist/event-store/sqlite-event-store.js';
import { WrongExpectedRevisionError } from '../../dist/event-store/event-store.js';
import { randomUUID } from 'node:crypto';

const [path, command, stream, arg] = process.argv.slice(2);
const store = new SqliteEventStore(path);
if (command === 'append') {
  await store.append(stream, [JSON.parse(arg)], { expectedRevision: 'any' });
} else if (command === 'race') {
  let won = 0;
  let lost = 0;
  for (let i = 0; i < Number(arg); i++) {
    const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
    try {
      await store.append(
        stream,
        [{ id: randomUUID(), type: 'Raced', data: { pid: process.pid }, metadata: { schema_version: 1 } }],
        {
          expectedRevision: last ? last.revision : 'no_stream',
        },
      );
      won++;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      lost++;
    }
  }
  process.stdout.write(JSON.stringify({ won, lost }));
}
await store.close();

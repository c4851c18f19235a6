// What the projector costs for one batch of one event (a device's MetadataSet, what an update appends),
// in process, on fresh read models: wall and CPU time per batch over 20,000 batches after 2,000 untimed.
// `--root DIR` runs another build (its dist/) in the same process turn, for a before/after in turns.
//   npm run build && node bench/projector-batch.mjs [--root DIR] [--turns 2]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { root: { type: 'string' }, turns: { type: 'string', default: '2' } },
});
const builds = [join(import.meta.dirname, '..'), ...(values.root ? [resolve(values.root)] : [])];

async function measure(root) {
  const { ReadModelDatabase } = await import(join(root, 'dist/read-models/read-model-database.js'));
  const { ReadModelProjector } = await import(join(root, 'dist/read-models/projector.js'));
  const { READ_MODEL_SCHEMA } = await import(join(root, 'dist/read-model-schema.js'));
  const readModels = new ReadModelDatabase(
    join(mkdtempSync(join(tmpdir(), 'cms-projector-')), 'rm.db'),
    READ_MODEL_SCHEMA,
  );
  const projector = new ReadModelProjector(readModels);
  let position = 0;
  const batch = () => {
    position += 1;
    return [
      {
        id: `e${position}`,
        type: 'MetadataSet',
        stream: 'device-d1',
        revision: position,
        position,
        metadata: {},
        recordedAt: '2026-01-01T00:00:00.000Z',
        data: {
          resource_type: 'device',
          resource_id: 'd1',
          workspace_id: 'w1',
          custom_metadata: { n: String(position) },
          previous_custom_metadata: {},
          changes: { added: {}, removed: {}, changed: {} },
          cause: { type: 'api_update' },
          actor: { type: 'system' },
          occurred_at: '2026-01-01T00:00:00.000Z',
        },
      },
    ];
  };
  for (let i = 0; i < 2_000; i++) projector.handle(batch());
  const batches = 20_000;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < batches; i++) projector.handle(batch());
  const used = process.cpuUsage(cpu);
  readModels.close();
  return { wall: ((performance.now() - started) / batches) * 1000, cpu: (used.user + used.system) / batches };
}

for (let turn = 1; turn <= Number(values.turns); turn++) {
  for (const root of builds) {
    const { wall, cpu } = await measure(root);
    console.log(
      `RESULT turn ${turn} ${root}: ${wall.toFixed(1)} µs wall, ${cpu.toFixed(1)} µs CPU per one-event batch`,
    );
  }
}

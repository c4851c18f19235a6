// What the projector costs for one batch of one event (a device's MetadataSet, what an update appends),
// in process, on fresh read models: wall and CPU time per batch over 20,000 batches after 2,000 untimed.
// `--root DIR` runs another build (its dist/) in the same process turn, for a before/after in turns.
// `--history N`: a device that exists and has changed N times already, 1,000 batches timed (see above).
//   npm run build && node bench/projector-batch.mjs [--root DIR] [--turns 2] [--history N]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { root: { type: 'string' }, turns: { type: 'string', default: '2' }, history: { type: 'string' } },
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
  // --history N: the device exists, and has changed N times before the timed batches, each of which changes
  // one of its four keys (without it, the MetadataSet concerns a device the read models do not have).
  const history = values.history === undefined ? null : Number(values.history);
  if (history !== null) {
    position += 1;
    projector.handle([
      {
        id: 'added',
        type: 'DeviceAdded',
        stream: 'device-d1',
        revision: 0,
        position,
        metadata: {},
        recordedAt: '2026-01-01T00:00:00.000Z',
        data: {
          device_id: 'd1',
          workspace_id: 'w1',
          connected_account_id: 'a1',
          connect_webview_id: 'cw1',
          provider: 'august',
          device_type: 'august_lock',
          name: 'Door',
          model: 'August Wi-Fi Smart Lock',
          created_at: '2026-01-01T00:00:00.000Z',
        },
      },
    ]);
  }
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
          custom_metadata:
            history === null ? { n: String(position) } : { tenant: 't1', plan: 'pro', floor: '3', n: String(position) },
          previous_custom_metadata: {},
          changes: { added: {}, removed: {}, changed: {} },
          cause: { type: 'api_update' },
          actor: { type: 'system' },
          occurred_at: '2026-01-01T00:00:00.000Z',
        },
      },
    ];
  };
  for (let i = 0; i < (history ?? 2_000); i++) projector.handle(batch());
  const batches = history === null ? 20_000 : 1_000;
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

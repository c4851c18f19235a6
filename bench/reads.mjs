// Every read-path benchmark the performance issue names, one after the other in child processes of their
// own (each builds its data afresh), then their RESULT lines together:
//   npm run bench:reads        # = npm run build && node bench/reads.mjs [--events 10000] [--large DIR --small DIR]
// --large and --small add the list pages, selectors and key inventory on a 1,000,000-event and a
// 20,000-event store (large-lists.mjs, selector-lists.mjs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '10000' }, large: { type: 'string' }, small: { type: 'string' } },
});
const benches = [
  ['list-filters.mjs'],
  ['write-path.mjs', '--events', values.events],
  ['history.mjs', '--events', values.events],
  ['as-of.mjs', '--events', values.events],
];
// The list pages on the stores of `bench/replay.mjs --keep` (1,000,000 and 20,000 events): each takes minutes
// to generate, so they are named rather than made here.
if (values.large) benches.push(['large-lists.mjs', '--data-dir', values.large, '--calls', '1500']);
if (values.large && values.small)
  benches.push(['selector-lists.mjs', '--large', values.large, '--small', values.small, '--calls', '400']);
else
  console.log(
    'RESULT large stores: skipped (give --large DIR and --small DIR, made by `node bench/replay.mjs --keep`)',
  );
const results = [];
for (const [script, ...args] of benches) {
  const run = spawnSync(process.execPath, [join(import.meta.dirname, script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(run.stdout);
  if (run.status !== 0) throw new Error(`${script} exited with ${run.status}`);
  results.push(...run.stdout.split('\n').filter((line) => line.startsWith('RESULT')));
}
console.log(`\nNode ${process.version}, all read benchmarks:\n${results.join('\n')}`);

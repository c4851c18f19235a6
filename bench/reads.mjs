// Every read-path benchmark the performance issue names, one after the other in child processes of their
// own (each builds its data afresh), then their RESULT lines together:
//   npm run bench:reads        # = npm run build && node bench/reads.mjs [--events 10000]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { events: { type: 'string', default: '10000' } } });
const benches = [
  ['list-filters.mjs'],
  ['write-path.mjs', '--events', values.events],
  ['history.mjs', '--events', values.events],
  ['as-of.mjs', '--events', values.events],
];
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

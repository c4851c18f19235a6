import { spawnSync } from 'node:child_process';
import { exitUnlessSupportedNode } from './node-version.js';

exitUnlessSupportedNode();

/**
 * `replay` churns through short-lived objects by the million. With V8's default young generation they fill
 * the heap far beyond what is live; a small one keeps the process near its live data (1,000,000 events:
 * 395 MiB peak before, 202 MiB with it; BENCHMARKS.md). V8 takes the flag only at start, hence the re-run.
 */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=2';
if (process.argv[2] === 'replay' && !process.execArgv.includes(SMALL_YOUNG_GENERATION)) {
  const { status, signal } = spawnSync(
    process.execPath,
    [...process.execArgv, SMALL_YOUNG_GENERATION, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(status ?? (signal ? 1 : 0));
}

// Data files hold API key hashes, webhook secrets and customers' metadata: readable by this user only.
process.umask(0o077);
await import('./cli-program.js');

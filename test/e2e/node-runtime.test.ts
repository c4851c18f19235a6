import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { newDataDir, runCli, ServerProcess } from '../support/server-process.js';

const root = join(import.meta.dirname, '../..');
const minimum = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node.replace('>=', '');

/** A Node older than the project needs, if this machine has one (Debian's system Node 20 here, and in CI). */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim();
    if (version && Number(version.split('.')[0]) < 22) return candidate;
  }
  return undefined;
}
const older = olderNode();
if (!older && process.env.CI !== 'true')
  console.warn('SKIPPED the old-Node start-up test: no Node older than 22 on this machine');

describe('the Node runtime', () => {
  // Not NODE_OPTIONS from `npm test` (it hides experimental warnings): the service's own output, as a user sees it.
  const plainEnv = { NODE_OPTIONS: '' };
  const server = new ServerProcess(newDataDir(), plainEnv);
  afterAll(() => server.stop());

  it('serves on the pinned Node 24 and names it, with no experimental-feature warning in its output', async () => {
    await server.start();
    expect(process.versions.node.split('.')[0]).toBe('24');
    expect(server.output).toContain(`Node ${process.version}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const cli = await runCli(server.dataDir, ['workspace', 'create', '--name', 'Warnings'], plainEnv);
    expect(cli.code).toBe(0);
    for (const output of [server.output, cli.stdout, cli.stderr])
      expect(output).not.toMatch(/ExperimentalWarning|experimental feature/);
  });

  it('installed without compiling anything: no node-gyp build in node_modules, no better-sqlite3 in the lock file', () => {
    const lock = readFileSync(join(root, 'package-lock.json'), 'utf8');
    expect(lock).not.toMatch(/better-sqlite3|node-gyp/);
    // node-gyp leaves build/config.gypi behind in every package it compiled.
    const compiled = readdirSync(join(root, 'node_modules'), { recursive: true, encoding: 'utf8' }).filter((path) =>
      path.endsWith(join('build', 'config.gypi')),
    );
    expect(compiled).toEqual([]);
    expect(existsSync(join(root, 'node_modules/.bin/node'))).toBe(true);
  });

  (older || process.env.CI === 'true' ? it : it.skip)(
    'exits at once with one line on a Node older than engines.node',
    () => {
      const result = spawnSync(older ?? '/usr/bin/node', [join(root, 'dist/main.js')], {
        cwd: root,
        env: { PATH: '/usr/bin:/bin', DATA_DIR: newDataDir() },
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(`needs Node ${minimum} or newer`)]);
      expect(result.stderr).toContain('`npm start`');
    },
  );
});

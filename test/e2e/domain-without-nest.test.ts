import { execFile } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { newDataDir } from '../support/server-process.js';

const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const preload = ['--import', join(root, 'test/support/report-nest-imports.mjs')];

// What the dependency-cruiser rule domain-ports-load-no-nest says, run for real on the built code.
describe('the domain without Nest', () => {
  it("loads every feature's domain port (index.ts) without loading a @nestjs package", async () => {
    const ports = readdirSync(join(root, 'dist'))
      .map((folder) => join(root, 'dist', folder, 'index.js'))
      .filter((file) => existsSync(file) && existsSync(join(file, '../nest.js')));
    expect(ports.length).toBeGreaterThanOrEqual(8);
    const script = ports.map((file) => `await import(${JSON.stringify(file)});`).join('\n');
    const { stderr } = await run(process.execPath, [...preload, '--input-type=module', '-e', script], { cwd: root });
    expect(stderr).not.toContain('nest loaded');
  });

  // The other side of the rule: one way in for each command. The CLI's writes go through the same Nest
  // command handlers as HTTP's (on a CommandBus, in an application context without a server).
  it("sends the CLI's workspace commands through the Nest command handlers", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [...preload, join(root, 'dist/cli-program.js'), 'workspace', 'create', '--name', 'No Nest'],
      { cwd: root, env: { ...process.env, DATA_DIR: newDataDir() } },
    );
    expect(stdout).toContain('"api_key"');
    expect(stderr).toContain('nest loaded: @nestjs/cqrs');
  });

  it('is told apart: the Nest ports do load Nest', async () => {
    const { stderr } = await run(
      process.execPath,
      [...preload, '--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'dist/devices/nest.js'))});`],
      { cwd: root },
    );
    expect(stderr).toContain('nest loaded');
  });
});

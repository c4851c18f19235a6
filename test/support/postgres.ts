import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const startScript = join(import.meta.dirname, 'start-postgres.sh');

export interface PostgresForTests {
  /** A new, empty database on the server, as a connection URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
  /** Starts a stopped cluster again, on the same port (only for a cluster of the test's own). */
  restart(): Promise<void>;
}

/**
 * A PostgreSQL server for a test file: the one at TEST_DATABASE_URL (.ci/run starts one), or a throwaway
 * cluster this file starts itself. Without either, the suite is skipped with one line, except under CI=true,
 * where a missing server fails the run (the same rule as the browser test).
 */
export async function postgresForTests(
  suite: string,
  { own = false }: { own?: boolean } = {},
): Promise<PostgresForTests | { skip: string }> {
  // A test that stops the server needs one of its own: TEST_DATABASE_URL's is shared by every suite.
  let adminUrl = own ? undefined : process.env.TEST_DATABASE_URL;
  let stop = async (): Promise<void> => undefined;
  let restart = async (): Promise<void> => {
    throw new Error("restart: only a cluster of the test's own can be restarted");
  };
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'cms-pg-'));
    try {
      adminUrl = (await run(startScript, [dir])).stdout.trim();
    } catch (error) {
      const reason = String((error as { stderr?: string }).stderr || error)
        .trim()
        .split('\n')[0];
      if (process.env.CI === 'true')
        throw new Error(`${suite} needs PostgreSQL under CI=true: ${reason}`, { cause: error });
      console.warn(`SKIPPED ${suite}: no TEST_DATABASE_URL and no PostgreSQL to start (${reason})`);
      return { skip: reason };
    }
    const owner = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
    const pgCtl = (await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'])).stdout.trim();
    stop = async () => {
      const [command, ...args] = [...owner, `${pgCtl}/pg_ctl`, '-D', join(dir, 'data'), 'stop', '-m', 'immediate'];
      await run(command, args).catch(() => undefined);
    };
    restart = async () => void (await run(startScript, [dir]));
  }
  const admin = adminUrl;
  return {
    async createDatabase() {
      const name = `cms_test_${randomUUID().replaceAll('-', '')}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(admin);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop,
    restart,
  };
}

import { describe, expect, it } from '@jest/globals';
import { EventStoreDBClient } from '@eventstore/db-client';
import { ConfigError, loadConfig } from '../../src/common/config.js';

describe('configuration', () => {
  it('defaults to port 3000 on 127.0.0.1 with data in ./data, fsync on every commit', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      sqliteSynchronous: 'FULL',
    });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('creates no sandbox workspace in production outside a terminal, unless CREATE_SANDBOX_WORKSPACE=true', () => {
    const piped = { stdoutIsTTY: false };
    expect(loadConfig({}, piped).createSandboxWorkspace).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }, { stdoutIsTTY: true }).createSandboxWorkspace).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }, piped).createSandboxWorkspace).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', CREATE_SANDBOX_WORKSPACE: 'true' }, piped).createSandboxWorkspace).toBe(
      true,
    );
    expect(loadConfig({ CREATE_SANDBOX_WORKSPACE: 'false' }, piped).createSandboxWorkspace).toBe(false);
    expect(() => loadConfig({ CREATE_SANDBOX_WORKSPACE: 'yes' })).toThrow(
      /CREATE_SANDBOX_WORKSPACE must be true or false/,
    );
  });

  it('limits webhooks to the usual web ports unless told otherwise', () => {
    expect(loadConfig({}).webhooks.allowedPorts).toEqual([80, 443, 8080, 8443]);
    expect(loadConfig({ WEBHOOK_ALLOWED_PORTS: '443, 9443' }).webhooks.allowedPorts).toEqual([443, 9443]);
    expect(loadConfig({ WEBHOOK_ALLOWED_PORTS: 'any' }).webhooks.allowedPorts).toBe('any');
    expect(() => loadConfig({ WEBHOOK_ALLOWED_PORTS: '80,http' })).toThrow(/WEBHOOK_ALLOWED_PORTS must be/);
  });

  it('names every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', SQLITE_SYNCHRONOUS: 'sometimes', PUBLIC_URL: 'ftp://x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be a whole number from 0 to 65535 (got "abc")',
      'SQLITE_SYNCHRONOUS must be FULL or NORMAL (got "sometimes")',
      'PUBLIC_URL must be an http(s) URL (got "ftp://x")',
    ]);
  });

  it('selects PostgreSQL with DATABASE_URL, and never echoes its password back', () => {
    expect(loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://cms:pw@db:5432/cms' }).eventStore).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://cms:pw@db:5432/cms',
      deadlineMs: 5000,
      maxConnections: 10,
    });
    expect(() => loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: 'mysql://cms:secret@db/cms' })).toThrow(
      'DATABASE_URL must be a postgres:// or postgresql:// URL with EVENT_STORE=postgres (got "mysql://cms:***@db/cms")',
    );
    expect(() => loadConfig({ EVENT_STORE: 'postgres' })).toThrow(/DATABASE_URL must be/);
  });

  it('takes PUBLIC_URL without its trailing slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://metadata.example.com/' }).publicUrl).toBe('https://metadata.example.com');
  });

  it('accepts exactly the EventStoreDB connection strings the client parses', () => {
    for (const connectionString of [
      'esdb://localhost:2113?tls=false',
      'esdb+discover://cluster.example.com:2113',
      'esdb://admin:changeit@a:2113,b:2113,c:2113?tls=true',
      'kurrentdb://localhost:2113?tls=false',
      'kdb://localhost:2113',
      'esdb://',
      'http://localhost:2113',
      'localhost:2113',
    ]) {
      let clientParses = true;
      try {
        EventStoreDBClient.connectionString(connectionString);
      } catch {
        clientParses = false;
      }
      const env = { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: connectionString };
      const weAccept = (() => {
        try {
          loadConfig(env);
          return true;
        } catch {
          return false;
        }
      })();
      expect([connectionString, weAccept]).toEqual([connectionString, clientParses]);
    }
  });
});

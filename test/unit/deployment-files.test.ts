import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  ports?: string[];
  environment?: Record<string, string>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
const services = Object.entries(compose.services);
const stores = services.filter(([, s]) => /^(eventstore\/eventstore|postgres):/.test(s.image ?? ''));

/** A value as compose would make it with nothing set: `${X:-default}` gives the default, `${X:?…}` refuses. */
function withNothingSet(value: string): string | 'refused' {
  if (/\$\{[A-Z_]+:\?/.test(value)) return 'refused';
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

describe('docker-compose.yml', () => {
  it('publishes no store port on the host', () => {
    expect(stores.map(([name]) => name).sort()).toEqual(['eventstoredb', 'eventstoredb-password', 'postgres']);
    for (const [name, store] of stores) expect({ name, ports: store.ports }).toEqual({ name, ports: undefined });
  });

  it('publishes the API and metrics on loopback unless told otherwise', () => {
    const published = services.flatMap(([, s]) => s.ports ?? []);
    expect(published.length).toBeGreaterThanOrEqual(4);
    for (const port of published) expect(withNothingSet(port)).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('has no default password: every credential comes from .env, and compose refuses to start without it', () => {
    const credentials = services.flatMap(([, s]) =>
      Object.entries(s.environment ?? {}).filter(
        ([key, value]) => /PASSWORD|DATABASE_URL|CONNECTION_STRING/.test(key) || /:\/\/[^/@\s]+@/.test(String(value)),
      ),
    );
    expect(credentials.length).toBeGreaterThanOrEqual(5);
    for (const [key, value] of credentials)
      expect({ key, value: withNothingSet(String(value)) }).toEqual({ key, value: 'refused' });
    const text = read('docker-compose.yml');
    expect(text).not.toMatch(/EVENTSTORE_INSECURE/);
    expect(text).not.toMatch(/cms:cms@|POSTGRES_PASSWORD: cms/);
    // EventStoreDB runs secure: TLS with the generated CA, and the client checks it.
    expect(compose.services.eventstoredb.environment?.EVENTSTORE_CERTIFICATE_FILE).toBeDefined();
    expect(compose.services.service.environment?.EVENTSTORE_CONNECTION_STRING).toMatch(/tls=true&tlsCAFile=/);
  });

  it('names in .env.example every variable compose requires', () => {
    const required = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]));
    const example = new Set([...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    for (const name of required) expect(example).toContain(name);
    expect(read('.gitignore').split('\n')).toContain('.env');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('pins its base image by digest, installs with npm ci --ignore-scripts, and ships no npm', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
    expect(dockerfile).toMatch(/npm ci --ignore-scripts/);
    expect(dockerfile).not.toMatch(/npm install/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/rm -rf \/usr\/local\/lib\/node_modules\/npm/);
    expect(runtime).toMatch(/\/usr\/local\/bin\/npm /);
    expect(runtime).toMatch(/^USER node$/m);
  });
});

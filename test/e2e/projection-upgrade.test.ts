import { afterAll, describe, expect, it } from '@jest/globals';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeamHttp } from '@seamapi/http/connect';
import { sandboxClient } from '../support/sandbox.js';
import { ServerProcess } from '../support/server-process.js';

interface ReadModelsDetail {
  projections: { name: string; version: number; build_version: number; position: number }[];
  rebuilding: { projection: string; from_version: number | null; to_version: number; serving_older_version: boolean }[];
}

const detail = async (server: ServerProcess) =>
  ((await (await fetch(server.detailedHealthUrl)).json()) as { read_models: ReadModelsDetail }).read_models;

const versionOf = async (server: ServerProcess, projection: string) =>
  (await detail(server)).projections.find((p) => p.name === projection)?.version;

const projectionFiles = (dataDir: string) =>
  readdirSync(dataDir)
    .filter((name) => /^read-models--.+\.db$/.test(name))
    .sort();

/**
 * Reads and writes sent without pause to whichever server `target()` names, each answer's status kept: what
 * a rolling restart must not disturb.
 */
function loadOn(target: () => ServerProcess, deviceIds: string[]) {
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let running = true;
  let writes = 0;
  let inFlight: { server: ServerProcess; answered: Promise<void> } | undefined;
  const call = async (path: string, body: unknown) => {
    const server = target();
    let answered = () => {};
    inFlight = { server, answered: new Promise((resolve) => (answered = resolve)) };
    try {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.sandboxApiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const text = await response.text();
      if (response.status !== 200) failures.push(`${path} ${response.status} ${text}`);
    } catch (error) {
      failures.push(`${path} ${String(error)}`);
    } finally {
      answered();
    }
    if (failures.length >= 20) running = false; // enough to show what went wrong
  };
  const loop = (async () => {
    while (running) {
      const device_id = deviceIds[writes % deviceIds.length];
      writes += 1;
      await call('/devices/update', { device_id, custom_metadata: { load: `w${writes}` } });
      await call('/devices/list', { custom_metadata_has: { tenant: 't1' } });
      await call('/devices/get', { device_id });
      await call('/connected_accounts/list', {});
    }
  })();
  return {
    statuses,
    failures,
    requests: () => [...statuses.values()].reduce((a, b) => a + b, 0),
    /** Once no request is on its way to `server`: what a load balancer waits for before it stops one. */
    drained: async (server: ServerProcess) => {
      if (inFlight?.server === server) await inFlight.answered;
    },
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

// A rolling restart onto a build whose device projection has a new version: the new server serves from
// the old version's file at once, rebuilds the device projection alone beside it, and swaps it in.
describe('a projection upgrade under load', () => {
  const old = new ServerProcess();
  const upgraded = new ServerProcess(old.dataDir);
  let load: ReturnType<typeof loadOn> | undefined;
  afterAll(async () => {
    await load?.stop();
    await old.stop();
    await upgraded.stop();
  });

  it('answers every request, serves the old version until the swap, and rebuilds only the device projection', async () => {
    await old.start();
    const seam = new SeamHttp({ apiKey: old.sandboxApiKey!, endpoint: old.url });
    for (let i = 0; i < 4; i++) {
      const webview = await seam.connectWebviews.create({ custom_metadata: { tenant: `t${i % 2}` } });
      await sandboxClient(old).completeWebview(webview.connect_webview_id, `upgrade-${i}@example.com`);
    }
    const devices = await seam.devices.list();
    expect(devices.length).toBeGreaterThan(1);
    for (const device of devices) {
      await seam.devices.update({ device_id: device.device_id, custom_metadata: { tenant: 't1' } });
    }
    const deviceVersion = (await versionOf(old, 'devices'))!;
    const filesBefore = projectionFiles(old.dataDir);

    let serving = old;
    // The load writes to every device but the first, which the test's own writes are read back from.
    load = loadOn(
      () => serving,
      devices.slice(1).map((d) => d.device_id),
    );
    const release = join(old.dataDir, 'release-rebuild');
    await upgraded.start({
      env: { CMS_TEST_UPGRADE_PROJECTION: 'devices', CMS_TEST_HOLD_REBUILD: `until_file:${release}` },
    });
    upgraded.sandboxApiKey = old.sandboxApiKey;
    // Ready at once, serving the old version, while the new one is rebuilt (held here until the test says).
    expect((await fetch(`${upgraded.url}/health`)).status).toBe(200);
    let during = await detail(upgraded);
    for (let i = 0; i < 500 && during.rebuilding.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      during = await detail(upgraded);
    }
    expect(during.rebuilding).toEqual([
      expect.objectContaining({
        projection: 'devices',
        from_version: deviceVersion,
        to_version: deviceVersion + 1,
        serving_older_version: true,
      }),
    ]);
    expect(during.projections.find((p) => p.name === 'devices')).toMatchObject({
      version: deviceVersion,
      build_version: deviceVersion + 1,
    });
    // The rolling restart: traffic goes to the new server, and once the old one has answered what was sent
    // to it (a request it had not read when told to stop would be refused, shutting_down), it stops.
    serving = upgraded;
    await load.drained(old);
    const beforeStop = load.requests();
    expect(await old.terminate()).toBe(0);

    // Writes made while the rebuild runs are read back from the old version, which the new build feeds.
    const seamNew = new SeamHttp({ apiKey: upgraded.sandboxApiKey!, endpoint: upgraded.url });
    const [first] = devices;
    await seamNew.devices.update({ device_id: first.device_id, custom_metadata: { tenant: 't1', during: 'rebuild' } });
    expect((await seamNew.devices.get({ device_id: first.device_id })).custom_metadata).toEqual({
      tenant: 't1',
      during: 'rebuild',
    });
    expect(await versionOf(upgraded, 'devices')).toBe(deviceVersion);
    for (let i = 0; i < 500 && load.requests() < beforeStop + 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    writeFileSync(release, '');
    for (let i = 0; i < 1000 && (await versionOf(upgraded, 'devices')) !== deviceVersion + 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await versionOf(upgraded, 'devices')).toBe(deviceVersion + 1);
    expect((await detail(upgraded)).rebuilding).toEqual([]);
    const afterSwap = load.requests();
    for (let i = 0; i < 500 && load.requests() < afterSwap + 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await load.stop();

    expect(load.failures).toEqual([]);
    expect([...load.statuses.keys()]).toEqual([200]);
    // After the swap, the new version holds every write, those made during the rebuild among them.
    expect((await seamNew.devices.get({ device_id: first.device_id })).custom_metadata).toEqual({
      tenant: 't1',
      during: 'rebuild',
    });
    const listed = await seamNew.devices.list({ custom_metadata_has: { during: 'rebuild' } });
    expect(listed.map((d) => d.device_id)).toEqual([first.device_id]);
    // Only the device projection was rebuilt: the other files are the ones the old server used.
    expect(upgraded.output).toContain('Rebuilding devices from the log beside the live read models');
    expect(upgraded.output).not.toMatch(/Rebuilding (?!devices from)/);
    const filesAfter = projectionFiles(upgraded.dataDir);
    expect(filesAfter.filter((name) => !name.includes('--devices'))).toEqual(
      filesBefore.filter((name) => !name.includes('--devices')),
    );
    expect(filesAfter.filter((name) => name.includes('--devices'))).toEqual([
      expect.stringMatching(new RegExp(`^read-models--devices--v${deviceVersion + 1}-.+\\.db$`)),
    ]);
  }, 120_000);
});

import type { ReplaySetup } from './audit/index.js';
import { COMPLETION_SAGA } from './completion/index.js';
import { connectWebviewReadModel } from './connect-webviews/index.js';
import { connectedAccountReadModel } from './connected-accounts/index.js';
import { deviceReadModel } from './devices/index.js';
import { publicEventsReadModel } from './events/index.js';
import type { Projection } from './read-models/projection.js';
import type { ReadModelSchema } from './read-models/read-model-database.js';
import { webhookReadModel } from './webhooks/index.js';
import { workspaceReadModel } from './workspaces/index.js';

/**
 * Every read model of the service: each feature's own, composed here, each in a file of its own
 * (read-models/read-model-database.ts). On WorkspaceErased each file loses every row of the workspace, after
 * its projection has done what it does on it.
 */
export const READ_MODEL_SCHEMA: ReadModelSchema = {
  projections: withTestUpgrade([
    connectWebviewReadModel,
    connectedAccountReadModel,
    deviceReadModel,
    webhookReadModel,
    publicEventsReadModel,
    workspaceReadModel,
  ]),
  scrubAfter: ['ConnectedAccountDeleted', 'WorkspaceErased'],
  erasesWorkspace: 'WorkspaceErased',
};

/**
 * For tests only (test/e2e/projection-upgrade.test.ts, bench/upgrade.mjs): CMS_TEST_UPGRADE_PROJECTION=devices
 * makes this build one whose device projection has a new version that still reads the current one's tables,
 * as a release that changes what a projection derives would be: an upgrade, without a second build.
 */
function withTestUpgrade(projections: Projection[]): Projection[] {
  const upgraded = process.env.CMS_TEST_UPGRADE_PROJECTION;
  return projections.map((projection) =>
    projection.name === upgraded
      ? { ...projection, version: projection.version + 1, readableFrom: projection.version }
      : projection,
  );
}

/** For replay: the read models, and the saga's checkpoint, kept across a swap (its effects are in the log). */
export const REPLAY_SETUP: ReplaySetup = { schema: READ_MODEL_SCHEMA, carriedCheckpoints: [COMPLETION_SAGA] };

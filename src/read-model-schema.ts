import type { ReplaySetup } from './audit/index.js';
import { COMPLETION_SAGA } from './completion/index.js';
import { connectWebviewReadModel } from './connect-webviews/index.js';
import { connectedAccountReadModel } from './connected-accounts/index.js';
import { deviceReadModel } from './devices/index.js';
import { publicEventsReadModel } from './events/index.js';
import type { ReadModelSchema } from './read-models/read-model-database.js';
import { webhookReadModel } from './webhooks/index.js';
import { workspaceReadModel } from './workspaces/index.js';

/**
 * Every read model of the service: each feature's own, composed here, applied to each event in this order.
 * The workspaces' comes last: on WorkspaceErased it deletes every table's rows of the workspace, after the
 * others have done what they do on it.
 */
export const READ_MODEL_SCHEMA: ReadModelSchema = {
  projections: [
    connectWebviewReadModel,
    connectedAccountReadModel,
    deviceReadModel,
    webhookReadModel,
    publicEventsReadModel,
    workspaceReadModel,
  ],
  scrubAfter: ['ConnectedAccountDeleted', 'WorkspaceErased'],
};

/** For replay: the read models, and the saga's checkpoint, kept across a swap (its effects are in the log). */
export const REPLAY_SETUP: ReplaySetup = { schema: READ_MODEL_SCHEMA, carriedCheckpoints: [COMPLETION_SAGA] };

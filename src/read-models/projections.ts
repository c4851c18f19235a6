import { connectWebviewProjection } from '../connect-webviews/connect-webview.projection.js';
import { connectedAccountProjection } from '../connected-accounts/connected-account.projection.js';
import { deviceProjection } from '../devices/device.projection.js';
import { publicEventProjection } from '../events/public-events.js';
import { webhookProjection } from '../webhooks/webhook.projection.js';
import { workspaceProjection } from '../workspaces/workspace.projection.js';
import { CUSTOM_METADATA_INDEX_DDL } from './custom-metadata-index.js';
import type { Projection } from './projector.js';
import type { ReadModelSchema } from './read-model-database.js';

/** Every read model, in the order they are applied to each event. */
export const PROJECTIONS: readonly Projection[] = [
  workspaceProjection,
  connectWebviewProjection,
  connectedAccountProjection,
  deviceProjection,
  webhookProjection,
  // Last: it reads the state the projections above just wrote.
  publicEventProjection,
];

export const READ_MODEL_SCHEMA: ReadModelSchema = {
  version: 3,
  ddl: [CUSTOM_METADATA_INDEX_DDL, ...PROJECTIONS.map((p) => p.ddl)].join('\n'),
};

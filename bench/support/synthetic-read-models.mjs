// What bench/list-filters.mjs and bench/search.mjs share: read models built by the real projections from
// synthetic events of one workspace, applied in one position order, without a log.
import { applyEvent } from '../../dist/read-models/projection.js';
import { ReadModelDatabase } from '../../dist/read-models/read-model-database.js';
import { READ_MODEL_SCHEMA } from '../../dist/read-model-schema.js';
import { deterministicId } from '../../dist/common/deterministic-id.js';

export const WORKSPACE = deterministicId('bench-workspace');
const AT = '2026-01-01T00:00:00.000Z';

/** Read models at `path` (':memory:' by default), and the events that build them. */
export function syntheticReadModels(path = ':memory:') {
  const readModels = new ReadModelDatabase(path, READ_MODEL_SCHEMA);
  let position = 0;
  const apply = (type, data) => {
    position += 1;
    applyEvent(readModels.db, readModels.projections, {
      id: String(position),
      type,
      data,
      stream: 's',
      revision: 0,
      position,
      metadata: {},
      recordedAt: AT,
    });
  };
  return {
    readModels,
    apply,
    /** A resource's metadata, as its creation sets it. */
    setMetadata: (resource_type, resource_id, custom_metadata) =>
      apply('MetadataSet', {
        resource_type,
        resource_id,
        workspace_id: WORKSPACE,
        custom_metadata,
        previous_custom_metadata: {},
        changes: { added: {}, removed: {}, changed: {} },
        cause: { type: 'created' },
        actor: { type: 'system' },
        occurred_at: '',
      }),
    /** A webview with Seam's defaults, accepting August. */
    createWebview: (connect_webview_id, customer_key = null) =>
      apply('ConnectWebviewCreated', {
        connect_webview_id,
        workspace_id: WORKSPACE,
        created_at: AT,
        device_selection_mode: 'none',
        accepted_providers: ['august'],
        any_provider_allowed: false,
        provider_category: null,
        accepted_capabilities: ['lock'],
        custom_redirect_url: null,
        custom_redirect_failure_url: null,
        automatically_manage_new_devices: true,
        wait_for_device_creation: false,
        customer_key,
      }),
  };
}

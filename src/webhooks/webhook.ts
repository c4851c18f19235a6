import { IdempotencyKeyReused, NotFound } from '../common/domain-errors.js';
import { unknownCommand, unknownEvent, type CommandMeta, type Decider } from '../event-store/decider.js';
import type { CustomMetadataMatch, EventMetadataSelector } from '../custom-metadata/custom-metadata-selector.js';

/** A change of a webhook's selector: each part given is replaced, and removed when null. */
export type WebhookSelectorChange = {
  [Part in keyof EventMetadataSelector]?: CustomMetadataMatch | null;
};

/** A webhook, in `webhook-<id>`. Its signing secret lives in the log: the log is the only source of truth. */
export type WebhookEvent =
  | {
      type: 'WebhookCreated';
      data: {
        webhook_id: string;
        workspace_id: string;
        url: string;
        event_types: string[] | null;
        secret: string;
        created_at: string;
        /** Created with an `Idempotency-Key`: the hash of that request (see idempotency-key.ts). */
        request_hash?: string;
        /** An extension: only the events whose metadata snapshots match. Left out when it has none. */
        metadata_selector?: EventMetadataSelector;
      };
    }
  | {
      type: 'WebhookUpdated';
      data: {
        webhook_id: string;
        workspace_id: string;
        url?: string;
        event_types?: string[] | null;
        metadata_selector?: WebhookSelectorChange;
      };
    }
  | {
      type: 'WebhookSecretRotated';
      data: { webhook_id: string; workspace_id: string; secret: string; previous_secret_valid_until: string };
    }
  | { type: 'WebhookDeleted'; data: { webhook_id: string; workspace_id: string } };

/** How long the previous secret still signs after a rotation: a day to move every receiver to the new one. */
export const WEBHOOK_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;

export type WebhookCommand = CommandMeta &
  (
    | {
        type: 'CreateWebhook';
        webhookId: string;
        workspaceId: string;
        url: string;
        eventTypes: string[] | null;
        secret: string;
        /** Sent with an `Idempotency-Key`: the request's hash. */
        requestHash?: string;
        metadataSelector?: EventMetadataSelector;
      }
    | {
        type: 'UpdateWebhook';
        webhookId: string;
        workspaceId: string;
        url?: string;
        eventTypes?: string[] | null;
        metadataSelector?: WebhookSelectorChange;
      }
    | { type: 'DeleteWebhook'; webhookId: string; workspaceId: string }
    | { type: 'RotateWebhookSecret'; webhookId: string; workspaceId: string; secret: string }
  );

export interface WebhookState {
  status: 'absent' | 'active' | 'deleted';
  workspaceId: string | null;
  /** The hash of the request that created it with an `Idempotency-Key`. */
  requestHash: string | null;
}

export const webhookDecider: Decider<WebhookCommand, WebhookEvent, WebhookState> = {
  initialState: () => ({ status: 'absent', workspaceId: null, requestHash: null }),

  evolve(state, event) {
    switch (event.type) {
      case 'WebhookCreated':
        return { status: 'active', workspaceId: event.data.workspace_id, requestHash: event.data.request_hash ?? null };
      case 'WebhookDeleted':
        return { ...state, status: 'deleted' };
      case 'WebhookUpdated':
      case 'WebhookSecretRotated':
        return state; // what they change is served from the read model, never decided on
      default:
        return unknownEvent(event, state);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateWebhook':
        return decideCreateWebhook(command, state);
      case 'UpdateWebhook':
        assertActive(command, state);
        return decideUpdateWebhook(command);
      case 'RotateWebhookSecret':
        assertActive(command, state);
        return decideRotateWebhookSecret(command);
      case 'DeleteWebhook':
        assertActive(command, state);
        return decideDeleteWebhook(command);
      default:
        return unknownCommand(command);
    }
  },
};

type CommandOf<T extends WebhookCommand['type']> = Extract<WebhookCommand, { type: T }>;

function decideCreateWebhook(command: CommandOf<'CreateWebhook'>, state: WebhookState): WebhookEvent[] {
  // An existing stream means this very request ran already (see the webview's CreateConnectWebview).
  if (state.status !== 'absent') {
    if (state.requestHash !== (command.requestHash ?? null)) throw new IdempotencyKeyReused();
    return [];
  }
  return [
    {
      type: 'WebhookCreated',
      data: {
        webhook_id: command.webhookId,
        workspace_id: command.workspaceId,
        url: command.url,
        event_types: command.eventTypes,
        secret: command.secret,
        created_at: command.now,
        ...(command.requestHash !== undefined ? { request_hash: command.requestHash } : {}),
        ...(command.metadataSelector !== undefined ? { metadata_selector: command.metadataSelector } : {}),
      },
    },
  ];
}

/** The webhook a command names, which must be live and in the caller's workspace. */
function assertActive(command: { webhookId: string; workspaceId: string }, state: WebhookState): void {
  if (state.status !== 'active' || state.workspaceId !== command.workspaceId)
    throw new NotFound('webhook', 'webhook_id', command.webhookId);
}

function decideUpdateWebhook(command: CommandOf<'UpdateWebhook'>): WebhookEvent[] {
  if (command.url === undefined && command.eventTypes === undefined && command.metadataSelector === undefined)
    return [];
  return [
    {
      type: 'WebhookUpdated',
      data: {
        webhook_id: command.webhookId,
        workspace_id: command.workspaceId,
        ...(command.url !== undefined ? { url: command.url } : {}),
        ...(command.eventTypes !== undefined ? { event_types: command.eventTypes } : {}),
        ...(command.metadataSelector !== undefined ? { metadata_selector: command.metadataSelector } : {}),
      },
    },
  ];
}

function decideRotateWebhookSecret(command: CommandOf<'RotateWebhookSecret'>): WebhookEvent[] {
  return [
    {
      type: 'WebhookSecretRotated',
      data: {
        webhook_id: command.webhookId,
        workspace_id: command.workspaceId,
        secret: command.secret,
        previous_secret_valid_until: new Date(Date.parse(command.now) + WEBHOOK_SECRET_GRACE_MS).toISOString(),
      },
    },
  ];
}

function decideDeleteWebhook(command: CommandOf<'DeleteWebhook'>): WebhookEvent[] {
  return [{ type: 'WebhookDeleted', data: { webhook_id: command.webhookId, workspace_id: command.workspaceId } }];
}

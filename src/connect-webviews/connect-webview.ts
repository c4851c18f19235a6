import { timingSafeEqual } from 'node:crypto';
import { AlreadyDone, IdempotencyKeyReused, InvalidCommand, LoginLocked, NotFound } from '../common/domain-errors.js';
import {
  EMPTY_CUSTOM_METADATA,
  replaceCustomMetadata,
  type CustomMetadata,
  type CustomMetadataPatch,
} from '../custom-metadata/custom-metadata.js';
import {
  metadataSet,
  NO_METADATA_REVISION,
  withMetadataRevision,
  type MetadataRevision,
  type MetadataSet,
} from '../custom-metadata/metadata-set.js';
import { assertMetadataSatisfiesSchema, type WorkspaceMetadataSchemas } from '../custom-metadata/metadata-schema.js';
import { unknownCommand, unknownEvent, type CommandMeta, type Decider } from '../event-store/decider.js';
import {
  PROVIDER_CAPABILITY,
  providersInCategory,
  SUPPORTED_PROVIDERS,
  type Provider,
  type ProviderCapability,
  type ProviderCategory,
} from '../providers/providers.js';
import type { SandboxDevice } from '../providers/sandbox-accounts.js';

/**
 * A Connect Webview, in the stream `connect_webview-<id>`. Its metadata is recorded by MetadataSet.
 * This file is the webview's whole decider (events, commands, state, evolve, decide), about 300 lines, kept
 * in one piece so that its rules read together.
 */
export interface ConnectWebviewCreatedData {
  connect_webview_id: string;
  workspace_id: string;
  created_at: string;
  device_selection_mode: 'none' | 'single' | 'multiple';
  accepted_providers: Provider[];
  any_provider_allowed: boolean;
  provider_category: ProviderCategory | null;
  accepted_capabilities: ProviderCapability[];
  custom_redirect_url: string | null;
  custom_redirect_failure_url: string | null;
  automatically_manage_new_devices: boolean;
  wait_for_device_creation: boolean;
  customer_key: string | null;
  /**
   * The secret in the webview's `url` that lets the end user open and complete it, as webviews stored it
   * before tokens were derived (and with encryption off). Absent on webviews created before tokens existed,
   * which stay open to whoever knows their id.
   */
  auth_token?: string;
  /** The token is derived from the webview's id (see webview-tokens.ts): none is stored. */
  auth_token_derived?: true;
  /**
   * Created with an `Idempotency-Key` (which the webview's id is derived from): the hash of that request, so
   * that a retry of it on any instance is told apart from another request with the same key.
   */
  request_hash?: string;
}

export type ConnectWebviewEvent =
  | { type: 'ConnectWebviewCreated'; data: ConnectWebviewCreatedData }
  | MetadataSet
  | { type: 'ConnectWebviewDeleted'; data: { connect_webview_id: string; workspace_id: string; deleted_at: string } }
  | {
      /** The end user logged in; the completion saga takes it from here. */
      type: 'WebviewCompleted';
      data: {
        connect_webview_id: string;
        workspace_id: string;
        provider: Provider;
        email: string;
        connected_account_id: string;
        completed_at: string;
        /**
         * The provider account's devices as its login reported them: the saga adds these, so a re-run
         * decides from the log alone. Absent from completions recorded before it was kept (see the workflow).
         */
        devices?: SandboxDevice[];
        /** The existing account's metadata version at this completion (absent for a new account). */
        account_metadata_version?: number;
      };
    }
  | {
      type: 'ConnectWebviewLoginFailed';
      data: {
        connect_webview_id: string;
        workspace_id: string;
        provider: Provider;
        /** Kept by failures recorded before 2026-12-02 only: a wrong login's email is not kept. */
        email?: string;
        failed_at: string;
        /** On the failure that used up the webview's budget: it refuses every login until then. */
        locked_until?: string;
      };
    }
  | {
      /** Appended by the completion saga once the account and its devices exist. */
      type: 'ConnectWebviewAuthorized';
      data: {
        connect_webview_id: string;
        workspace_id: string;
        connected_account_id: string;
        selected_provider: Provider;
        authorized_at: string;
      };
    };

/** What an app may choose when creating a webview; everything left out gets Seam's default. */
export interface ConnectWebviewOptions {
  device_selection_mode?: 'none' | 'single' | 'multiple';
  accepted_providers?: Provider[];
  provider_category?: ProviderCategory;
  accepted_capabilities?: ProviderCapability[];
  custom_redirect_url?: string;
  custom_redirect_failure_url?: string;
  automatically_manage_new_devices?: boolean;
  wait_for_device_creation?: boolean;
  customer_key?: string;
  /** Providers left out of `accepted_providers` (or of every provider, when that is not given). */
  excluded_providers?: string[];
}

export type ConnectWebviewCommand = CommandMeta &
  (
    | {
        type: 'CreateConnectWebview';
        connectWebviewId: string;
        workspaceId: string;
        options: ConnectWebviewOptions;
        customMetadata: CustomMetadataPatch | undefined;
        /**
         * The workspace's schemas: the webview's metadata must satisfy its own, and the account schema too,
         * since a connected account it creates inherits that metadata (metadata-schema.ts).
         */
        metadataSchemas?: WorkspaceMetadataSchemas;
        /** A stored token, or `derived` (WebviewTokens): then the log holds none. */
        authToken: string | 'derived';
        /** Sent with an `Idempotency-Key`: the request's hash (see idempotency-key.ts). */
        requestHash?: string;
      }
    | { type: 'DeleteConnectWebview'; connectWebviewId: string; workspaceId: string }
    | {
        type: 'CompleteConnectWebview';
        connectWebviewId: string;
        /** Null when the end user's page completes it: the webview id is their only credential. */
        workspaceId: string | null;
        provider: Provider;
        email: string;
        loginSucceeded: boolean;
        /** What the provider's login reported: its account's devices. */
        devices: SandboxDevice[];
        /** The account this login reaches (`ConnectedAccountIds.idFor`): derived from it, with the log's key. */
        connectedAccountId: string;
        /** The existing account's metadata version now, if the account exists. */
        accountMetadataVersion?: number;
        /** The `auth_token` of the webview's url: what the end user (no workspace) proves access with. */
        authToken?: string;
        /** What a derived token of this webview is (WebviewTokens), for the decider to compare with. */
        derivedAuthToken?: string;
        /** Failed logins the webview records before it locks, how long it then stays locked, and the link's life. */
        endUserAccess: EndUserAccess;
      }
    | { type: 'AuthorizeConnectWebview'; connectWebviewId: string }
  );

/** What bounds the end user's access: failures before a lock, its length, and the link's lifetime. */
export interface EndUserAccess {
  maxFailures: number;
  lockoutMs: number;
  tokenTtlMs: number;
}

export interface ConnectWebviewState extends MetadataRevision {
  status: 'absent' | 'active' | 'deleted';
  workspaceId: string | null;
  customMetadata: CustomMetadata;
  created: ConnectWebviewCreatedData | null;
  completed: { provider: Provider; email: string; connectedAccountId: string } | null;
  authorized: boolean;
  /** Failed logins since the webview last locked (or was created), and until when it is locked. */
  loginFailures: number;
  lockedUntil: string | null;
}

export const connectWebviewDecider: Decider<ConnectWebviewCommand, ConnectWebviewEvent, ConnectWebviewState> = {
  initialState: () => ({
    status: 'absent',
    workspaceId: null,
    customMetadata: EMPTY_CUSTOM_METADATA,
    created: null,
    completed: null,
    authorized: false,
    loginFailures: 0,
    ...NO_METADATA_REVISION,
    lockedUntil: null,
  }),

  evolve: (state, event) => withMetadataRevision(state, event, evolveConnectWebview(state, event)),

  decide(command, state) {
    switch (command.type) {
      case 'CreateConnectWebview':
        return decideCreateConnectWebview(command, state);
      case 'DeleteConnectWebview':
        return decideDeleteConnectWebview(command, state);
      case 'CompleteConnectWebview':
        return decideCompleteConnectWebview(command, state);
      case 'AuthorizeConnectWebview':
        return decideAuthorizeConnectWebview(command, state);
      default:
        return unknownCommand(command);
    }
  },
};

function evolveConnectWebview(state: ConnectWebviewState, event: ConnectWebviewEvent): ConnectWebviewState {
  switch (event.type) {
    case 'ConnectWebviewCreated':
      return { ...state, status: 'active', workspaceId: event.data.workspace_id, created: event.data };
    case 'MetadataSet':
      return { ...state, customMetadata: event.data.custom_metadata };
    case 'ConnectWebviewDeleted':
      return { ...state, status: 'deleted' };
    case 'WebviewCompleted':
      return {
        ...state,
        completed: {
          provider: event.data.provider,
          email: event.data.email,
          connectedAccountId: event.data.connected_account_id,
        },
      };
    case 'ConnectWebviewAuthorized':
      return { ...state, authorized: true };
    case 'ConnectWebviewLoginFailed':
      return event.data.locked_until
        ? { ...state, loginFailures: 0, lockedUntil: event.data.locked_until }
        : { ...state, loginFailures: state.loginFailures + 1 };
    default:
      return unknownEvent(event, state);
  }
}

type CommandOf<T extends ConnectWebviewCommand['type']> = Extract<ConnectWebviewCommand, { type: T }>;

function decideCreateConnectWebview(
  command: CommandOf<'CreateConnectWebview'>,
  state: ConnectWebviewState,
): ConnectWebviewEvent[] {
  // An existing stream means this very request ran already: its id was generated by the server, or
  // derived from its Idempotency-Key, whose first request's hash tells a retry from another request.
  if (state.status !== 'absent') {
    if (state.created?.request_hash !== command.requestHash) throw new IdempotencyKeyReused();
    return [];
  }
  const created = connectWebviewCreated(command);
  const metadata = replaceCustomMetadata(command.customMetadata ?? {});
  assertMetadataSatisfiesSchema(metadata, command.metadataSchemas?.connect_webview);
  assertMetadataSatisfiesSchema(metadata, command.metadataSchemas?.connected_account, { whose: 'connected_account' });
  return [
    { type: 'ConnectWebviewCreated', data: created },
    metadataSet(
      {
        resource_type: 'connect_webview',
        resource_id: command.connectWebviewId,
        workspace_id: command.workspaceId,
      },
      EMPTY_CUSTOM_METADATA,
      metadata,
      { type: 'created' },
      command.actor,
      command.now,
    ),
  ];
}

function decideDeleteConnectWebview(
  command: CommandOf<'DeleteConnectWebview'>,
  state: ConnectWebviewState,
): ConnectWebviewEvent[] {
  if (state.status !== 'active' || state.workspaceId !== command.workspaceId) {
    throw new NotFound('connect_webview', 'connect_webview_id', command.connectWebviewId);
  }
  return [
    {
      type: 'ConnectWebviewDeleted',
      data: {
        connect_webview_id: command.connectWebviewId,
        workspace_id: command.workspaceId,
        deleted_at: command.now,
      },
    },
  ];
}

function decideCompleteConnectWebview(
  command: CommandOf<'CompleteConnectWebview'>,
  state: ConnectWebviewState,
): ConnectWebviewEvent[] {
  if (
    state.status !== 'active' ||
    !state.created ||
    (command.workspaceId !== null && state.workspaceId !== command.workspaceId) ||
    (command.workspaceId === null &&
      !endUserMayOpen(state.created, command.authToken, {
        now: command.now,
        tokenTtlMs: command.endUserAccess.tokenTtlMs,
        derivedToken: command.derivedAuthToken,
      }))
  ) {
    throw new NotFound('connect_webview', 'connect_webview_id', command.connectWebviewId);
  }
  if (state.completed) {
    // A retry of the same login (the client did not see the first answer, or sent it twice) gets the
    // same answer, once the saga is done: it joins the completion, under way or finished. Any other
    // completion of a completed webview is refused.
    const sameLogin =
      command.loginSucceeded &&
      state.completed.provider === command.provider &&
      state.completed.email === command.email;
    if (sameLogin) return [];
    throw new AlreadyDone('connect_webview_already_completed', 'This Connect Webview was already completed', {
      connect_webview_id: command.connectWebviewId,
    });
  }
  if (!state.created.accepted_providers.includes(command.provider)) {
    throw new InvalidCommand([
      {
        path: ['provider'],
        message: `This Connect Webview accepts ${state.created.accepted_providers.join(', ')}`,
      },
    ]);
  }
  // Locked, a login is refused before it is tried, whatever the address it comes from: a guess cannot
  // succeed, and nothing is recorded or announced. The count is in the webview's stream, so it holds
  // across instances and restarts.
  if (state.lockedUntil !== null && command.now < state.lockedUntil) throw new LoginLocked(state.lockedUntil);
  const common = { connect_webview_id: command.connectWebviewId, workspace_id: state.created.workspace_id };
  if (!command.loginSucceeded) {
    const lock = state.loginFailures + 1 >= command.endUserAccess.maxFailures;
    const lockedUntil = new Date(Date.parse(command.now) + command.endUserAccess.lockoutMs).toISOString();
    return [
      {
        type: 'ConnectWebviewLoginFailed',
        data: {
          ...common,
          provider: command.provider,
          failed_at: command.now,
          ...(lock ? { locked_until: lockedUntil } : {}),
        },
      },
    ];
  }
  return [
    {
      type: 'WebviewCompleted',
      data: {
        ...common,
        provider: command.provider,
        email: command.email,
        connected_account_id: command.connectedAccountId,
        completed_at: command.now,
        devices: command.devices,
        ...(command.accountMetadataVersion !== undefined
          ? { account_metadata_version: command.accountMetadataVersion }
          : {}),
      },
    },
  ];
}

function decideAuthorizeConnectWebview(
  command: CommandOf<'AuthorizeConnectWebview'>,
  state: ConnectWebviewState,
): ConnectWebviewEvent[] {
  if (state.authorized || !state.completed || !state.created) return [];
  return [
    {
      type: 'ConnectWebviewAuthorized',
      data: {
        connect_webview_id: command.connectWebviewId,
        workspace_id: state.created.workspace_id,
        connected_account_id: state.completed.connectedAccountId,
        selected_provider: state.completed.provider,
        authorized_at: command.now,
      },
    },
  ];
}

function connectWebviewCreated(
  command: Extract<ConnectWebviewCommand, { type: 'CreateConnectWebview' }>,
): ConnectWebviewCreatedData {
  const { options } = command;
  const capabilities = options.accepted_capabilities ? [...new Set(options.accepted_capabilities)] : undefined;
  const asked =
    options.accepted_providers ??
    (options.provider_category ? providersInCategory(options.provider_category) : undefined) ??
    // Capabilities alone narrow the offer to the providers of those kinds of device.
    (capabilities ? SUPPORTED_PROVIDERS.filter((p) => capabilities.includes(PROVIDER_CAPABILITY[p])) : undefined);
  const excluded = options.excluded_providers ?? [];
  const chosen =
    excluded.length > 0 ? (asked ?? SUPPORTED_PROVIDERS).filter((provider) => !excluded.includes(provider)) : asked;
  if (chosen?.length === 0) {
    throw new InvalidCommand([
      {
        path: [excluded.length > 0 ? 'excluded_providers' : 'accepted_capabilities'],
        message: excluded.length > 0 ? 'Every provider is excluded' : 'No supported provider has these capabilities',
      },
    ]);
  }
  const providers = chosen ? [...new Set(chosen)] : [...SUPPORTED_PROVIDERS];
  return {
    connect_webview_id: command.connectWebviewId,
    workspace_id: command.workspaceId,
    created_at: command.now,
    device_selection_mode: options.device_selection_mode ?? 'none',
    accepted_providers: providers,
    any_provider_allowed: chosen === undefined,
    provider_category: options.provider_category ?? null,
    // Unless narrowed, the kinds of device its providers have: what the account it creates accepts.
    accepted_capabilities: capabilities ?? [...new Set(providers.map((p) => PROVIDER_CAPABILITY[p]))],
    custom_redirect_url: options.custom_redirect_url ?? null,
    custom_redirect_failure_url: options.custom_redirect_failure_url ?? null,
    automatically_manage_new_devices: options.automatically_manage_new_devices ?? true,
    wait_for_device_creation: options.wait_for_device_creation ?? false,
    customer_key: options.customer_key ?? null,
    ...(command.authToken === 'derived' ? { auth_token_derived: true as const } : { auth_token: command.authToken }),
    ...(command.requestHash !== undefined ? { request_hash: command.requestHash } : {}),
  };
}

/** Whether the end user's `auth_token` opens this webview (compared in constant time). */
export function endUserMayOpen(
  created: Pick<ConnectWebviewCreatedData, 'auth_token' | 'auth_token_derived' | 'created_at'>,
  authToken: string | undefined,
  access: { now: string; tokenTtlMs: number; derivedToken?: string },
): boolean {
  // Its link lasts CONNECT_WEBVIEW_TOKEN_TTL_MS; a webview from before tokens, which opens without one, too.
  if (Date.parse(access.now) >= Date.parse(created.created_at) + access.tokenTtlMs) return false;
  const token = created.auth_token_derived ? access.derivedToken : created.auth_token;
  if (created.auth_token_derived && token === undefined) return false;
  if (token === undefined) return true;
  const expected = Buffer.from(token);
  const given = Buffer.from(authToken ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

import { describe, it } from '@jest/globals';
import { LoginLocked, AlreadyDone, InvalidCommand, NotFound } from '../../src/common/domain-errors.js';
import { connectWebviewDecider, type ConnectWebviewEvent } from '../../src/connect-webviews/connect-webview.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { apiKey, LATER, metadataSetEvent, NOW, webviewCreated, WORKSPACE } from '../support/domain-fixtures.js';

const spec = DeciderSpecification.for(connectWebviewDecider);
/** The account the login reaches, as the shell derives it (connected-account-id.test.ts pins the derivation). */
const ACCOUNT = 'f9743036-8c2b-836c-92ba-d084652b3e99';
const endUser = { type: 'end_user', connect_webview_id: 'cw1' } as const;
const saga = { type: 'completion_saga', connect_webview_id: 'cw1' } as const;

const created = webviewCreated();
const withMetadata = metadataSetEvent({
  resource_type: 'connect_webview',
  resource_id: 'cw1',
  previous: {},
  next: { internal_account_id: 'user-1' },
  changes: { added: { internal_account_id: 'user-1' } },
  cause: { type: 'created' },
});
const create = (fields: object = {}) =>
  ({
    type: 'CreateConnectWebview',
    connectWebviewId: 'cw1',
    workspaceId: WORKSPACE,
    options: {},
    customMetadata: { internal_account_id: 'user-1' },
    authToken: 'token-1',
    actor: apiKey,
    now: NOW,
    ...fields,
  }) as const;
const DEVICES = [
  { key: 'front-door', name: 'Front Door', device_type: 'august_lock', model: 'August Wi-Fi Smart Lock' },
];
const complete = (fields: object = {}) =>
  ({
    type: 'CompleteConnectWebview',
    connectWebviewId: 'cw1',
    workspaceId: null,
    provider: 'august',
    email: 'jane@example.com',
    loginSucceeded: true,
    devices: DEVICES,
    connectedAccountId: ACCOUNT,
    authToken: 'token-1',
    endUserAccess: { maxFailures: 3, lockoutMs: 60_000, tokenTtlMs: 86_400_000 },
    actor: endUser,
    now: LATER,
    ...fields,
  }) as const;
const completed: ConnectWebviewEvent = {
  type: 'WebviewCompleted',
  data: {
    connect_webview_id: 'cw1',
    workspace_id: WORKSPACE,
    provider: 'august',
    email: 'jane@example.com',
    connected_account_id: ACCOUNT,
    completed_at: LATER,
    devices: DEVICES,
  },
};
const authorize = { type: 'AuthorizeConnectWebview', connectWebviewId: 'cw1', actor: saga, now: LATER } as const;
const authorized: ConnectWebviewEvent = {
  type: 'ConnectWebviewAuthorized',
  data: {
    connect_webview_id: 'cw1',
    workspace_id: WORKSPACE,
    connected_account_id: ACCOUNT,
    selected_provider: 'august',
    authorized_at: LATER,
  },
};

describe('connect webview decider', () => {
  describe('CreateConnectWebview', () => {
    it("creates a webview with Seam's defaults and its metadata", () => {
      spec.given([]).when(create()).then([created, withMetadata]);
    });

    it('records {} when created without metadata', () => {
      spec
        .given([])
        .when(create({ customMetadata: undefined }))
        .then([
          created,
          metadataSetEvent({
            resource_type: 'connect_webview',
            resource_id: 'cw1',
            previous: {},
            next: {},
            cause: { type: 'created' },
          }),
        ]);
    });

    it('keeps the providers asked for, once each', () => {
      spec
        .given([])
        .when(create({ options: { accepted_providers: ['yale', 'yale'] }, customMetadata: {} }))
        .then([
          webviewCreated({
            accepted_providers: ['yale'],
            any_provider_allowed: false,
            accepted_capabilities: ['lock'],
          }),
          metadataSetEvent({
            resource_type: 'connect_webview',
            resource_id: 'cw1',
            previous: {},
            next: {},
            cause: { type: 'created' },
          }),
        ]);
    });

    it('creates nothing for an id that exists: the same command ran already', () => {
      spec.given([created, withMetadata]).when(create()).thenNothingHappened();
    });
  });

  describe('DeleteConnectWebview', () => {
    const remove = (workspaceId = WORKSPACE) =>
      ({ type: 'DeleteConnectWebview', connectWebviewId: 'cw1', workspaceId, actor: apiKey, now: LATER }) as const;
    const deleted: ConnectWebviewEvent = {
      type: 'ConnectWebviewDeleted',
      data: { connect_webview_id: 'cw1', workspace_id: WORKSPACE, deleted_at: LATER },
    };

    it('deletes a webview', () => {
      spec.given([created, withMetadata]).when(remove()).then([deleted]);
    });

    it('refuses a deleted, absent or other workspace webview as not found', () => {
      const notFound = (e: unknown) => e instanceof NotFound && e.code === 'connect_webview_not_found';
      spec.given([created, withMetadata, deleted]).when(remove()).thenThrows(notFound);
      spec.given([]).when(remove()).thenThrows(notFound);
      spec.given([created, withMetadata]).when(remove('w2')).thenThrows(notFound);
    });
  });

  describe('CompleteConnectWebview', () => {
    it('completes with the account the login reaches', () => {
      spec.given([created, withMetadata]).when(complete()).then([completed]);
    });

    it('records a failed login and leaves the webview pending', () => {
      const failed: ConnectWebviewEvent = {
        type: 'ConnectWebviewLoginFailed',
        data: {
          connect_webview_id: 'cw1',
          workspace_id: WORKSPACE,
          provider: 'august',
          failed_at: LATER,
        },
      };
      spec
        .given([created, withMetadata])
        .when(complete({ loginSucceeded: false }))
        .then([failed]);
      spec.given([created, withMetadata, failed]).when(complete()).then([completed]);
    });

    it('locks after its budget of failures, whatever the address: refuses every login, the right one too, until then', () => {
      const failedAt = (failed_at: string, locked_until?: string): ConnectWebviewEvent => ({
        type: 'ConnectWebviewLoginFailed',
        data: {
          connect_webview_id: 'cw1',
          workspace_id: WORKSPACE,
          provider: 'august',
          failed_at,
          ...(locked_until ? { locked_until } : {}),
        },
      });
      const lockedUntil = new Date(Date.parse(LATER) + 60_000).toISOString();
      // The third failure (the budget) records the lock.
      spec
        .given([created, withMetadata, failedAt(LATER), failedAt(LATER)])
        .when(complete({ loginSucceeded: false }))
        .then([failedAt(LATER, lockedUntil)]);
      const locked = [created, withMetadata, failedAt(LATER), failedAt(LATER), failedAt(LATER, lockedUntil)];
      for (const loginSucceeded of [false, true]) {
        spec
          .given(locked)
          .when(complete({ loginSucceeded, now: new Date(Date.parse(LATER) + 59_999).toISOString() }))
          .thenThrows((e) => e instanceof LoginLocked && e.until === lockedUntil);
      }
      // Once it ends, logins are tried again, with a fresh budget.
      spec
        .given(locked)
        .when(complete({ now: lockedUntil }))
        .then([{ ...completed, data: { ...completed.data, completed_at: lockedUntil } } as ConnectWebviewEvent]);
      spec
        .given(locked)
        .when(complete({ loginSucceeded: false, now: lockedUntil }))
        .then([failedAt(lockedUntil)]);
    });

    it('lets a retry of the same login join the completion, under way or finished, with nothing new recorded', () => {
      spec.given([created, withMetadata, completed]).when(complete()).thenNothingHappened();
      spec.given([created, withMetadata, completed, authorized]).when(complete()).thenNothingHappened();
    });

    it('refuses another login, or a failed one, once completed', () => {
      spec
        .given([created, withMetadata, completed])
        .when(complete({ email: 'someone-else@example.com' }))
        .thenThrows((e) => e instanceof AlreadyDone && e.code === 'connect_webview_already_completed');
      spec
        .given([created, withMetadata, completed])
        .when(complete({ loginSucceeded: false }))
        .thenThrows((e) => e instanceof AlreadyDone);
      spec
        .given([created, withMetadata, completed, authorized])
        .when(complete({ email: 'someone-else@example.com' }))
        .thenThrows((e) => e instanceof AlreadyDone && e.code === 'connect_webview_already_completed');
    });

    it('refuses a provider the webview does not accept', () => {
      const yaleOnly = webviewCreated({ accepted_providers: ['yale'], any_provider_allowed: false });
      spec
        .given([yaleOnly])
        .when(complete())
        .thenThrows((e) => e instanceof InvalidCommand && e.issues[0].path[0] === 'provider');
    });

    it("refuses another workspace's webview as not found; the hosted page (no workspace) may complete it", () => {
      spec
        .given([created, withMetadata])
        .when(complete({ workspaceId: 'w2' }))
        .thenThrows((e) => e instanceof NotFound);
      spec
        .given([created, withMetadata])
        .when(complete({ workspaceId: WORKSPACE }))
        .then([completed]);
    });

    it("lets the end user (no workspace) complete it only with the webview's auth_token", () => {
      const notFound = (e: unknown) => e instanceof NotFound;
      spec
        .given([created, withMetadata])
        .when(complete({ authToken: 'guessed' }))
        .thenThrows(notFound);
      spec
        .given([created, withMetadata])
        .when(complete({ authToken: undefined }))
        .thenThrows(notFound);
      spec
        .given([created, withMetadata])
        .when(complete({ workspaceId: WORKSPACE, authToken: undefined }))
        .then([completed]);
    });

    it('lets the end user in only while the link lasts (CONNECT_WEBVIEW_TOKEN_TTL_MS), a webview from before tokens too', () => {
      const expiry = new Date(Date.parse(NOW) + 86_400_000).toISOString();
      const justBefore = new Date(Date.parse(expiry) - 1).toISOString();
      const notFound = (e: unknown) => e instanceof NotFound;
      spec
        .given([created, withMetadata])
        .when(complete({ now: justBefore }))
        .then([{ ...completed, data: { ...completed.data, completed_at: justBefore } } as ConnectWebviewEvent]);
      spec
        .given([created, withMetadata])
        .when(complete({ now: expiry }))
        .thenThrows(notFound);
      const beforeTokens = webviewCreated({ auth_token: undefined });
      spec
        .given([beforeTokens, withMetadata])
        .when(complete({ authToken: undefined, now: expiry }))
        .thenThrows(notFound);
      // The app itself, with its key, still completes it (the simulate route): the link's lifetime is the end user's.
      spec
        .given([created, withMetadata])
        .when(complete({ workspaceId: WORKSPACE, now: expiry }))
        .then([{ ...completed, data: { ...completed.data, completed_at: expiry } } as ConnectWebviewEvent]);
    });

    it('excludes providers from those accepted', () => {
      spec
        .given([])
        .when(create({ options: { excluded_providers: ['schlage'] }, customMetadata: {} }))
        .then([
          webviewCreated({ accepted_providers: ['august', 'yale', 'ecobee', 'minut'], any_provider_allowed: false }),
          metadataSetEvent({
            resource_type: 'connect_webview',
            resource_id: 'cw1',
            previous: {},
            next: {},
            cause: { type: 'created' },
          }),
        ]);
      spec
        .given([])
        .when(create({ options: { accepted_providers: ['yale'], excluded_providers: ['yale'] } }))
        .thenThrows((e) => e instanceof InvalidCommand && e.issues[0].path[0] === 'excluded_providers');
    });
  });

  describe('AuthorizeConnectWebview', () => {
    it('links the completed webview to its account, once', () => {
      spec.given([created, withMetadata, completed]).when(authorize).then([authorized]);
      spec.given([created, withMetadata, completed, authorized]).when(authorize).thenNothingHappened();
    });

    it('does nothing before a completion', () => {
      spec.given([created, withMetadata]).when(authorize).thenNothingHappened();
    });
  });
});

import { describe, it } from '@jest/globals';
import { InvalidCommand, NotFound } from '../../src/common/domain-errors.js';
import {
  connectedAccountDecider,
  type ConnectedAccountCommand,
  type ConnectedAccountEvent,
  type ConnectedAccountSettings,
} from '../../src/connected-accounts/connected-account.js';
import { CustomMetadataRevisionMismatch } from '../../src/custom-metadata/metadata-set.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { accountCreated, apiKey, LATER, metadataSetEvent, NOW, WORKSPACE } from '../support/domain-fixtures.js';

const spec = DeciderSpecification.for(connectedAccountDecider);
const saga = (webview: string) => ({ type: 'completion_saga', connect_webview_id: webview }) as const;
const connect = (
  webview: string,
  webviewMetadata: Record<string, string | boolean>,
  now = NOW,
): ConnectedAccountCommand =>
  ({
    type: 'ConnectFromWebview',
    connectedAccountId: 'a1',
    workspaceId: WORKSPACE,
    provider: 'august',
    email: 'jane@example.com',
    connectWebviewId: webview,
    webviewMetadata,
    automaticallyManageNewDevices: true,
    acceptedCapabilities: ['lock'],
    actor: saga(webview),
    now,
  }) satisfies ConnectedAccountCommand;
const created = accountCreated('a1');
const inherited = metadataSetEvent({
  resource_type: 'connected_account',
  resource_id: 'a1',
  previous: {},
  next: { plan: 'basic' },
  changes: { added: { plan: 'basic' } },
  cause: { type: 'webview_inherited', connect_webview_id: 'cw1' },
  actor: saga('cw1'),
});
const reconnected = (webview: string): ConnectedAccountEvent => ({
  type: 'ConnectedAccountReconnected',
  data: { connected_account_id: 'a1', workspace_id: WORKSPACE, connect_webview_id: webview, reconnected_at: LATER },
});
/** cw2's reconnection replacing `inherited`'s { plan: basic } with its { tier: pro }. */
const replacedByCw2 = metadataSetEvent({
  resource_type: 'connected_account',
  resource_id: 'a1',
  previous: { plan: 'basic' },
  next: { tier: 'pro' },
  changes: { added: { tier: 'pro' }, removed: { plan: 'basic' } },
  cause: { type: 'webview_replaced', connect_webview_id: 'cw2' },
  actor: saga('cw2'),
  at: LATER,
});
const update = (fields: {
  customMetadata?: Record<string, string | boolean | null>;
  settings?: Partial<ConnectedAccountSettings>;
}) =>
  ({
    type: 'UpdateConnectedAccount',
    connectedAccountId: 'a1',
    workspaceId: WORKSPACE,
    ...fields,
    actor: apiKey,
    now: LATER,
  }) as const;

/** An API update of `inherited`'s { plan: basic } to { plan: gold }. */
const planGoldBy = ({ at }: { at: string }) =>
  metadataSetEvent({
    resource_type: 'connected_account',
    resource_id: 'a1',
    previous: { plan: 'basic' },
    next: { plan: 'gold' },
    changes: { changed: { plan: { from: 'basic', to: 'gold' } } },
    cause: { type: 'api_update' },
    actor: apiKey,
    at,
  });

describe('connected account decider', () => {
  describe('ConnectFromWebview', () => {
    it('creates a new account with a copy of the webview metadata (inherited)', () => {
      spec
        .given([])
        .when(connect('cw1', { plan: 'basic' }))
        .then([created, inherited]);
    });

    it('replaces an existing account metadata entirely with the webview metadata (reconnection)', () => {
      spec
        .given([created, inherited])
        .when(connect('cw2', { tier: 'pro' }, LATER))
        .then([reconnected('cw2'), replacedByCw2]);
    });

    it('lets an API update made after the completion was accepted win over its replacement', () => {
      const apiUpdate = planGoldBy({ at: NOW });
      // Accepted at metadata version 1 (after `inherited`); the API update (version 2) came after it.
      const replacingVersion1 = { ...connect('cw2', { tier: 'pro' }, LATER), replacesMetadataVersion: 1 };
      spec
        .given([created, inherited, apiUpdate])
        .when(replacingVersion1)
        .then([reconnected('cw2')]);
      // No update since the completion: the replacement applies.
      spec
        .given([created, inherited])
        .when(replacingVersion1)
        .then([reconnected('cw2'), replacedByCw2]);
    });

    it('leaves the metadata as it is when the reconnecting webview has none', () => {
      spec
        .given([created, inherited])
        .when(connect('cw2', {}, LATER))
        .then([reconnected('cw2')]);
    });

    it('applies the same webview once: a repeated saga step changes nothing', () => {
      spec
        .given([created, inherited])
        .when(connect('cw1', { plan: 'basic' }))
        .thenNothingHappened();
      spec
        .given([created, inherited, reconnected('cw2')])
        .when(connect('cw2', {}, LATER))
        .thenNothingHappened();
    });
  });

  describe('UpdateConnectedAccount', () => {
    it('replaces the metadata entirely', () => {
      spec
        .given([created, inherited])
        .when(update({ customMetadata: { tenant: 't1' } }))
        .then([
          metadataSetEvent({
            resource_type: 'connected_account',
            resource_id: 'a1',
            previous: { plan: 'basic' },
            next: { tenant: 't1' },
            changes: { added: { tenant: 't1' }, removed: { plan: 'basic' } },
            cause: { type: 'api_update' },
            at: LATER,
          }),
        ]);
    });

    it('records nothing when nothing changes', () => {
      spec
        .given([created, inherited])
        .when(update({ customMetadata: { plan: 'basic' }, settings: { automatically_manage_new_devices: true } }))
        .thenNothingHappened();
    });

    it('changes automatically_manage_new_devices', () => {
      spec
        .given([created, inherited])
        .when(update({ settings: { automatically_manage_new_devices: false } }))
        .then([
          {
            type: 'ConnectedAccountSettingsChanged',
            data: { connected_account_id: 'a1', workspace_id: WORKSPACE, automatically_manage_new_devices: false },
          },
        ]);
    });

    it('changes display_name and accepted_capabilities, recording only what differs', () => {
      spec
        .given([created, inherited])
        .when(update({ settings: { display_name: 'House 1', accepted_capabilities: ['lock', 'thermostat'] } }))
        .then([
          {
            type: 'ConnectedAccountSettingsChanged',
            data: {
              connected_account_id: 'a1',
              workspace_id: WORKSPACE,
              display_name: 'House 1',
              accepted_capabilities: ['lock', 'thermostat'],
            },
          },
        ]);
      spec
        .given([created, inherited])
        .when(update({ settings: { accepted_capabilities: ['lock', 'lock'] } }))
        .thenNothingHappened();
    });

    it('associates an account with a customer once: the same key again is nothing, another is refused', () => {
      const associated = {
        type: 'ConnectedAccountSettingsChanged' as const,
        data: { connected_account_id: 'a1', workspace_id: WORKSPACE, customer_key: 'c1' },
      };
      spec
        .given([created, inherited])
        .when(update({ settings: { customer_key: 'c1' } }))
        .then([associated]);
      spec
        .given([created, inherited, associated])
        .when(update({ settings: { customer_key: 'c1' } }))
        .thenNothingHappened();
      spec
        .given([created, inherited, associated])
        .when(update({ settings: { customer_key: 'c2' } }))
        .thenThrows((e) => e instanceof InvalidCommand);
    });

    it('refuses an account that does not exist, or is in another workspace, as not found', () => {
      spec
        .given([])
        .when(update({ customMetadata: {} }))
        .thenThrows((e) => e instanceof NotFound && e.code === 'connected_account_not_found');
      spec
        .given([created])
        .when({ ...update({ customMetadata: {} }), workspaceId: 'w2' })
        .thenThrows((e) => e instanceof NotFound);
    });
  });

  describe('UpdateConnectedAccount with expected_custom_metadata_revision (compare-and-set)', () => {
    const planGold = planGoldBy({ at: LATER });
    const mismatch = (current: number) => (e: unknown) =>
      e instanceof CustomMetadataRevisionMismatch &&
      e.code === 'custom_metadata_revision_mismatch' &&
      e.details.custom_metadata_revision === current;

    it("applies when the metadata is still at the revision named: its last MetadataSet's stream revision", () => {
      // created is revision 0 of the stream, inherited 1.
      spec
        .given([created, inherited])
        .when({ ...update({ customMetadata: { plan: 'gold' } }), expectedCustomMetadataRevision: 1 })
        .then([planGold]);
    });

    it('refuses, writing nothing, once another change has moved the metadata on', () => {
      spec
        .given([created, inherited, reconnected('cw2'), replacedByCw2])
        .when({ ...update({ customMetadata: { plan: 'gold' } }), expectedCustomMetadataRevision: 1 })
        .thenThrows(mismatch(3));
    });

    it('counts every event of the stream: a reconnection without a metadata change moves no revision', () => {
      spec
        .given([created, inherited, reconnected('cw2')])
        .when({ ...update({ customMetadata: { plan: 'gold' } }), expectedCustomMetadataRevision: 1 })
        .then([planGold]);
      spec
        .given([created, inherited, reconnected('cw2')])
        .when({ ...update({ customMetadata: { plan: 'gold' } }), expectedCustomMetadataRevision: 2 })
        .thenThrows(mismatch(1));
    });

    it('refuses a settings-only update too, since it names a revision', () => {
      spec
        .given([created, inherited])
        .when({ ...update({ settings: { display_name: 'Front' } }), expectedCustomMetadataRevision: 0 })
        .thenThrows(mismatch(1));
    });
  });

  describe('DisconnectConnectedAccount', () => {
    const disconnect = {
      type: 'DisconnectConnectedAccount',
      connectedAccountId: 'a1',
      workspaceId: WORKSPACE,
      actor: apiKey,
      now: LATER,
    } as const;
    const disconnected: ConnectedAccountEvent = {
      type: 'ConnectedAccountDisconnected',
      data: { connected_account_id: 'a1', workspace_id: WORKSPACE, disconnected_at: LATER },
    };

    it('disconnects a connected account, once', () => {
      spec.given([created, inherited]).when(disconnect).then([disconnected]);
      spec.given([created, inherited, disconnected]).when(disconnect).thenNothingHappened();
    });

    it('refuses an account that does not exist', () => {
      spec
        .given([])
        .when(disconnect)
        .thenThrows((e) => e instanceof NotFound);
    });
  });
});

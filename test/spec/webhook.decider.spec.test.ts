import { describe, expect, it } from '@jest/globals';
import { NotFound } from '../../src/common/domain-errors.js';
import { webhookDecider, type WebhookEvent, type WebhookSelectorChange } from '../../src/webhooks/webhook.js';
import { signingSecrets } from '../../src/webhooks/webhook.projection.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { apiKey, NOW, WORKSPACE } from '../support/domain-fixtures.js';

const spec = DeciderSpecification.for(webhookDecider);
const meta = { actor: apiKey, now: NOW };
const create = {
  type: 'CreateWebhook',
  webhookId: 'h1',
  workspaceId: WORKSPACE,
  url: 'https://example.com/hook',
  eventTypes: null,
  secret: 'whsec_1',
  ...meta,
} as const;
const created: WebhookEvent = {
  type: 'WebhookCreated',
  data: {
    webhook_id: 'h1',
    workspace_id: WORKSPACE,
    url: 'https://example.com/hook',
    event_types: null,
    secret: 'whsec_1',
    created_at: NOW,
  },
};
const deleted: WebhookEvent = { type: 'WebhookDeleted', data: { webhook_id: 'h1', workspace_id: WORKSPACE } };
const update = (
  fields: { url?: string; eventTypes?: string[] | null; metadataSelector?: WebhookSelectorChange },
  workspaceId = WORKSPACE,
) => ({ type: 'UpdateWebhook', webhookId: 'h1', workspaceId, ...fields, ...meta }) as const;
const remove = { type: 'DeleteWebhook', webhookId: 'h1', workspaceId: WORKSPACE, ...meta } as const;

describe('webhook decider', () => {
  it('creates a webhook, once', () => {
    spec.given([]).when(create).then([created]);
    spec.given([created]).when(create).thenNothingHappened();
  });

  it('updates only what is given, and records nothing when nothing is', () => {
    spec
      .given([created])
      .when(update({ eventTypes: ['device.added'] }))
      .then([
        { type: 'WebhookUpdated', data: { webhook_id: 'h1', workspace_id: WORKSPACE, event_types: ['device.added'] } },
      ]);
    spec
      .given([created])
      .when(update({ url: 'https://example.com/other' }))
      .then([
        {
          type: 'WebhookUpdated',
          data: { webhook_id: 'h1', workspace_id: WORKSPACE, url: 'https://example.com/other' },
        },
      ]);
    spec.given([created]).when(update({})).thenNothingHappened();
  });

  it('records a change of its metadata selector, each part given replaced or (null) removed', () => {
    const change = { custom_metadata_match: { tenant: { in: ['t1'] } }, connected_account_custom_metadata_match: null };
    spec
      .given([created])
      .when(update({ metadataSelector: change }))
      .then([
        { type: 'WebhookUpdated', data: { webhook_id: 'h1', workspace_id: WORKSPACE, metadata_selector: change } },
      ]);
  });

  it('deletes a webhook', () => {
    spec.given([created]).when(remove).then([deleted]);
  });

  it("refuses a deleted, absent or other workspace's webhook as not found", () => {
    const notFound = (e: unknown) => e instanceof NotFound && e.code === 'webhook_not_found';
    spec.given([created, deleted]).when(remove).thenThrows(notFound);
    spec
      .given([])
      .when(update({ url: 'https://example.com' }))
      .thenThrows(notFound);
    spec
      .given([created])
      .when(update({ url: 'https://example.com' }, 'w2'))
      .thenThrows(notFound);
  });

  it('rotates the secret of a live webhook; the previous one signs for 24 hours more', () => {
    const rotate = {
      type: 'RotateWebhookSecret',
      webhookId: 'h1',
      workspaceId: WORKSPACE,
      secret: 'whsec_2',
      ...meta,
    } as const;
    spec
      .given([created])
      .when(rotate)
      .then([
        {
          type: 'WebhookSecretRotated',
          data: {
            webhook_id: 'h1',
            workspace_id: WORKSPACE,
            secret: 'whsec_2',
            previous_secret_valid_until: new Date(Date.parse(NOW) + 24 * 3600 * 1000).toISOString(),
          },
        },
      ]);
    spec
      .given([created, deleted])
      .when(rotate)
      .thenThrows((e) => e instanceof NotFound);
  });

  it('signs with both secrets until the grace period ends, then with the new one alone', () => {
    const webhook = {
      webhook_id: 'h1',
      workspace_id: WORKSPACE,
      url: 'https://example.com/hook',
      event_types: null,
      secret: 'whsec_2',
      previous_secret: 'whsec_1',
      previous_secret_valid_until: '2026-11-24T10:00:00.000Z',
      created_at: NOW,
      created_position: 1,
      metadata_selector: null,
    };
    expect(signingSecrets(webhook, '2026-11-24T09:59:59.999Z')).toEqual(['whsec_2', 'whsec_1']);
    expect(signingSecrets(webhook, '2026-11-24T10:00:00.000Z')).toEqual(['whsec_2']);
    expect(signingSecrets({ ...webhook, previous_secret: null, previous_secret_valid_until: null })).toEqual([
      'whsec_2',
    ]);
  });
});

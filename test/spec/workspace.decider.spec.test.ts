import { describe, it } from '@jest/globals';
import { AlreadyDone, InvalidCommand, NotFound } from '../../src/common/domain-errors.js';
import { workspaceDecider, type WorkspaceEvent } from '../../src/workspaces/workspace.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import { LATER, NOW, WORKSPACE } from '../support/domain-fixtures.js';

const spec = DeciderSpecification.for(workspaceDecider);
const cli = { type: 'cli' } as const;
const firstKey = { apiKeyId: 'k1', keyHash: 'hash-1', shortToken: 'seam_abc' };
const secondKey = { apiKeyId: 'k2', keyHash: 'hash-2', shortToken: 'seam_def' };
const create = (name: string) =>
  ({ type: 'CreateWorkspace', workspaceId: WORKSPACE, name, isSandbox: true, firstKey, actor: cli, now: NOW }) as const;
const created: WorkspaceEvent = {
  type: 'WorkspaceCreated',
  data: { workspace_id: WORKSPACE, name: 'Acme', is_sandbox: true, created_at: NOW },
};
const keyIssued = (key: typeof firstKey, at: string): WorkspaceEvent => ({
  type: 'ApiKeyIssued',
  data: {
    api_key_id: key.apiKeyId,
    workspace_id: WORKSPACE,
    key_hash: key.keyHash,
    short_token: key.shortToken,
    created_at: at,
  },
});
const issue = { type: 'IssueApiKey', workspaceId: WORKSPACE, key: secondKey, actor: cli, now: LATER } as const;

describe('workspace decider', () => {
  it('creates a workspace, its name trimmed, with its first key (the hash only)', () => {
    spec
      .given([])
      .when(create('  Acme '))
      .then([created, keyIssued(firstKey, NOW)]);
  });

  it('refuses a second creation and a blank or overlong name', () => {
    spec
      .given([created])
      .when(create('Acme'))
      .thenThrows((e) => e instanceof AlreadyDone && e.code === 'workspace_already_exists');
    spec
      .given([])
      .when(create('   '))
      .thenThrows((e) => e instanceof InvalidCommand);
    spec
      .given([])
      .when(create('x'.repeat(101)))
      .thenThrows((e) => e instanceof InvalidCommand);
  });

  it('issues another key to a workspace that exists', () => {
    spec
      .given([created, keyIssued(firstKey, NOW)])
      .when(issue)
      .then([keyIssued(secondKey, LATER)]);
  });

  it('refuses a key for a workspace that does not exist', () => {
    spec
      .given([])
      .when(issue)
      .thenThrows((e) => e instanceof NotFound && e.code === 'workspace_not_found');
  });

  const revoke = (apiKeyId: string) =>
    ({ type: 'RevokeApiKey', workspaceId: WORKSPACE, apiKeyId, actor: cli, now: LATER }) as const;
  const revoked: WorkspaceEvent = {
    type: 'ApiKeyRevoked',
    data: { api_key_id: 'k1', workspace_id: WORKSPACE, revoked_at: LATER },
  };

  it('revokes a key of the workspace, once: a second revocation changes nothing', () => {
    spec
      .given([created, keyIssued(firstKey, NOW)])
      .when(revoke('k1'))
      .then([revoked]);
    spec
      .given([created, keyIssued(firstKey, NOW), revoked])
      .when(revoke('k1'))
      .then([]);
  });

  it('refuses to revoke a key the workspace never issued', () => {
    spec
      .given([created, keyIssued(firstKey, NOW)])
      .when(revoke('k2'))
      .thenThrows((e) => e instanceof NotFound && e.code === 'api_key_not_found');
    spec
      .given([created])
      .when(revoke('constructor'))
      .thenThrows((e) => e instanceof NotFound);
  });
});

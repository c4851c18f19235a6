import { describe, expect, it } from '@jest/globals';
import { InvalidCommand, NotFound } from '../../src/common/domain-errors.js';
import { connectWebviewDecider } from '../../src/connect-webviews/connect-webview.js';
import { connectedAccountDecider } from '../../src/connected-accounts/connected-account.js';
import {
  parseMetadataSchema,
  type CustomMetadataSchema,
  type WorkspaceMetadataSchemas,
} from '../../src/custom-metadata/metadata-schema.js';
import { deviceDecider } from '../../src/devices/device.js';
import { workspaceDecider, type WorkspaceEvent } from '../../src/workspaces/workspace.js';
import { DeciderSpecification } from '../support/decider-specification.js';
import {
  accountCreated,
  apiKey,
  deviceAdded,
  LATER,
  metadataSetEvent,
  NOW,
  WORKSPACE,
} from '../support/domain-fixtures.js';

// A workspace's metadata schema (an extension): each rule, as the deciders apply it to a write's result.
const devices = DeciderSpecification.for(deviceDecider);
const accounts = DeciderSpecification.for(connectedAccountDecider);
const webviews = DeciderSpecification.for(connectWebviewDecider);
const workspaces = DeciderSpecification.for(workspaceDecider);

const added = deviceAdded();
/** The API update that gave device d1, without metadata before, `metadata` (at NOW unless `at`). */
const deviceWith = (metadata: Record<string, string | boolean>, at?: string) =>
  metadataSetEvent({
    resource_type: 'device',
    resource_id: 'd1',
    previous: {},
    next: metadata,
    changes: { added: metadata },
    cause: { type: 'api_update' },
    at,
  });
const schema = (keys: object, allowOtherKeys = true): CustomMetadataSchema =>
  parseMetadataSchema({ keys, allow_other_keys: allowOtherKeys });
const updateDevice = (customMetadata: Record<string, string | boolean | null>, device?: CustomMetadataSchema) =>
  ({
    type: 'UpdateDevice',
    deviceId: 'd1',
    workspaceId: WORKSPACE,
    managed: true,
    customMetadata,
    metadataSchemas: { device },
    actor: apiKey,
    now: LATER,
  }) as const;

/** The refusal names the key at `custom_metadata.<key>` and the rule. */
const refusedFor =
  (key: string, rule: string) =>
  (error: unknown): boolean =>
    error instanceof InvalidCommand &&
    error.issues.some(
      (issue) => issue.path.join('.') === `custom_metadata.${key}` && issue.message.includes(`(rule: ${rule})`),
    );

const accepted = (metadata: Record<string, string | boolean>, keys: object, allowOtherKeys = true) =>
  devices
    .given([added])
    .when(updateDevice(metadata, schema(keys, allowOtherKeys)))
    .then([deviceWith(metadata, LATER)]);
const refused = (
  metadata: Record<string, string | boolean | null>,
  keys: object,
  [key, rule]: [string, string],
  allowOtherKeys = true,
) =>
  devices
    .given([added])
    .when(updateDevice(metadata, schema(keys, allowOtherKeys)))
    .thenThrows(refusedFor(key, rule));

describe('metadata schemas', () => {
  describe('each type', () => {
    it('string: a string goes, a boolean does not (the "true" against true mix-up)', () => {
      accepted({ vip: 'yes' }, { vip: { type: 'string' } });
      refused({ vip: true }, { vip: { type: 'string' } }, ['vip', 'type']);
    });

    it('boolean: a boolean goes, the string "true" does not', () => {
      accepted({ vip: true }, { vip: { type: 'boolean' } });
      refused({ vip: 'true' }, { vip: { type: 'boolean' } }, ['vip', 'type']);
    });

    it('enum: one of its values goes, another value or a boolean does not', () => {
      const keys = { plan: { type: 'enum', values: ['free', 'pro'] } };
      accepted({ plan: 'pro' }, keys);
      refused({ plan: 'gold' }, keys, ['plan', 'values']);
      refused({ plan: true }, keys, ['plan', 'type']);
    });

    it('max_length: a longer string is refused', () => {
      accepted({ code: 'abc' }, { code: { type: 'string', max_length: 3 } });
      refused({ code: 'abcd' }, { code: { type: 'string', max_length: 3 } }, ['code', 'max_length']);
    });
  });

  describe('each format', () => {
    const cases: [string, string[], string[]][] = [
      [
        'uuid',
        ['0b6e1d5c-4f0a-4c1e-9a57-7f1c2d3e4f5a', '0B6E1D5C-4F0A-4C1E-9A57-7F1C2D3E4F5A'],
        [
          '0b6e1d5c4f0a4c1e9a577f1c2d3e4f5a',
          '0b6e1d5c-4f0a-4c1e-9a57-7f1c2d3e4f5',
          'zb6e1d5c-4f0a-4c1e-9a57-7f1c2d3e4f5a',
        ],
      ],
      [
        'email',
        ['jane@example.com', 'a.b+c@mail.example.org'],
        ['jane', 'jane@', '@example.com', 'jane@example', 'ja ne@example.com', 'a@b@example.com', 'jane@example..com'],
      ],
      [
        'url',
        ['https://example.com/a?b=c', 'http://localhost:3000'],
        ['example.com', 'ftp://example.com', 'javascript:alert(1)', 'https://'],
      ],
      ['integer', ['0', '42', '-7', '12345678901234567890'], ['007', '4.2', '1e3', '', '-', '+1', ' 1']],
    ];
    for (const [format, good, bad] of cases) {
      it(`${format}: well-formed values go, others are refused`, () => {
        const keys = { v: { type: 'string', format } };
        for (const value of good) accepted({ v: value }, keys);
        for (const value of bad) refused({ v: value }, keys, ['v', 'format']);
      });
    }

    it('refuses a long value built to make a backtracking matcher slow', () => {
      const keys = { v: { type: 'string', format: 'email' } };
      const hostile = `${'a'.repeat(200)}@${'a.'.repeat(149)}!`;
      refused({ v: hostile }, keys, ['v', 'format']);
    });
  });

  describe('required', () => {
    const keys = { internal_account_id: { type: 'string', required: true } };

    it('a write whose result lacks the key is refused, one that keeps or sets it goes', () => {
      refused({ floor: '1' }, keys, ['internal_account_id', 'required']);
      accepted({ internal_account_id: 'user-1' }, keys);
      devices
        .given([added, deviceWith({ internal_account_id: 'user-1' })])
        .when(updateDevice({ floor: '1' }, schema(keys)))
        .then([
          metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: { internal_account_id: 'user-1' },
            next: { internal_account_id: 'user-1', floor: '1' },
            changes: { added: { floor: '1' } },
            cause: { type: 'api_update' },
            at: LATER,
          }),
        ]);
    });

    it('removing it (null) is refused', () => {
      devices
        .given([added, deviceWith({ internal_account_id: 'user-1' })])
        .when(updateDevice({ internal_account_id: null }, schema(keys)))
        .thenThrows(refusedFor('internal_account_id', 'required'));
    });

    it('binds API writes only: a device its provider adds with {} is recorded', () => {
      devices
        .given([])
        .when({ type: 'AddDevice', device: added.data, actor: apiKey, now: NOW })
        .then([
          { type: 'DeviceAdded', data: added.data },
          metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: {},
            next: {},
            cause: { type: 'created' },
          }),
        ]);
    });
  });

  describe('allow_other_keys', () => {
    const keys = { tenant: { type: 'string' } };

    it('false: a key the schema does not name is refused, and each is named', () => {
      refused({ tenant: 't1', legacy: 'x' }, keys, ['legacy', 'allow_other_keys'], false);
      devices
        .given([added])
        .when(updateDevice({ a: '1', b: '2' }, schema(keys, false)))
        .thenThrows(
          (error) => refusedFor('a', 'allow_other_keys')(error) && refusedFor('b', 'allow_other_keys')(error),
        );
    });

    it('true: other keys go', () => {
      accepted({ tenant: 't1', legacy: 'x' }, keys, true);
    });

    it('a resource that predates the schema may remove its other key in the same write', () => {
      devices
        .given([added, deviceWith({ legacy: 'x' })])
        .when(updateDevice({ legacy: null, tenant: 't1' }, schema(keys, false)))
        .then([
          metadataSetEvent({
            resource_type: 'device',
            resource_id: 'd1',
            previous: { legacy: 'x' },
            next: { tenant: 't1' },
            changes: { added: { tenant: 't1' }, removed: { legacy: 'x' } },
            cause: { type: 'api_update' },
            at: LATER,
          }),
        ]);
    });
  });

  it('no schema: any metadata goes, as at Seam', () => {
    devices
      .given([added])
      .when(updateDevice({ anything: true }, undefined))
      .then([deviceWith({ anything: true }, LATER)]);
  });

  it("a connected account's replacing update is checked against the account schema", () => {
    const schemas: WorkspaceMetadataSchemas = {
      connected_account: schema({ tenant: { type: 'enum', values: ['t1', 't2'], required: true } }),
    };
    accounts
      .given([accountCreated('a1')])
      .when({
        type: 'UpdateConnectedAccount',
        connectedAccountId: 'a1',
        workspaceId: WORKSPACE,
        customMetadata: { plan: 'gold' },
        metadataSchemas: schemas,
        actor: apiKey,
        now: LATER,
      })
      .thenThrows(refusedFor('tenant', 'required'));
  });

  describe('a Connect Webview', () => {
    const create = (customMetadata: Record<string, string | boolean> | undefined, schemas: WorkspaceMetadataSchemas) =>
      ({
        type: 'CreateConnectWebview',
        connectWebviewId: 'cw1',
        workspaceId: WORKSPACE,
        options: {},
        customMetadata,
        metadataSchemas: schemas,
        authToken: 'token-1',
        actor: apiKey,
        now: NOW,
      }) as const;
    const accountSchema = {
      connected_account: schema({ internal_account_id: { type: 'string', format: 'uuid', required: true } }),
    };

    it('whose metadata would break the account schema is refused: the account it creates inherits it', () => {
      webviews
        .given([])
        .when(create({ internal_account_id: 'user-1' }, accountSchema))
        .thenThrows(
          (error) =>
            refusedFor('internal_account_id', 'format')(error) &&
            (error as InvalidCommand).message.includes('connected_account schema'),
        );
      webviews
        .given([])
        .when(create(undefined, accountSchema))
        .thenThrows(refusedFor('internal_account_id', 'required'));
    });

    it('whose metadata satisfies both its own schema and the account schema is created', () => {
      const events = connectWebviewDecider.decide(
        create(
          { internal_account_id: '0b6e1d5c-4f0a-4c1e-9a57-7f1c2d3e4f5a' },
          { ...accountSchema, connect_webview: schema({ internal_account_id: { type: 'string' } }, false) },
        ),
        connectWebviewDecider.initialState(),
      );
      expect(events.map((event) => event.type)).toEqual(['ConnectWebviewCreated', 'MetadataSet']);
    });

    it('is checked against its own schema', () => {
      webviews
        .given([])
        .when(create({ plan: 'pro' }, { connect_webview: schema({}, false) }))
        .thenThrows(refusedFor('plan', 'allow_other_keys'));
    });
  });

  describe('the schema itself', () => {
    const created: WorkspaceEvent = {
      type: 'WorkspaceCreated',
      data: { workspace_id: WORKSPACE, name: 'Acme', is_sandbox: true, created_at: NOW },
    };
    const deviceSchema = schema({ tenant: { type: 'string', required: true } }, false);
    const set = (value: CustomMetadataSchema) =>
      ({
        type: 'SetCustomMetadataSchema',
        workspaceId: WORKSPACE,
        resourceType: 'device',
        schema: value,
        actor: apiKey,
        now: LATER,
      }) as const;
    const schemaSet: WorkspaceEvent = {
      type: 'CustomMetadataSchemaSet',
      data: {
        workspace_id: WORKSPACE,
        resource_type: 'device',
        schema: deviceSchema,
        previous_schema: null,
        set_at: LATER,
      },
    };

    it('is recorded in the workspace stream with the one it replaces; the same again records nothing', () => {
      workspaces.given([created]).when(set(deviceSchema)).then([schemaSet]);
      workspaces.given([created, schemaSet]).when(set(deviceSchema)).thenNothingHappened();
      const next = schema({ tenant: { type: 'string' } });
      workspaces
        .given([created, schemaSet])
        .when(set(next))
        .then([
          {
            type: 'CustomMetadataSchemaSet',
            data: {
              workspace_id: WORKSPACE,
              resource_type: 'device',
              schema: next,
              previous_schema: deviceSchema,
              set_at: LATER,
            },
          },
        ]);
    });

    it('needs the workspace', () => {
      workspaces
        .given([])
        .when(set(deviceSchema))
        .thenThrows((error) => error instanceof NotFound);
    });

    it('refuses a malformed schema, naming the key and the field', () => {
      const issues = (keys: unknown, allowOtherKeys?: unknown) => {
        try {
          parseMetadataSchema({ keys, allow_other_keys: allowOtherKeys });
        } catch (error) {
          return (error as InvalidCommand).issues.map((issue) => issue.path.join('.'));
        }
        return [];
      };
      expect(issues({ a: { type: 'number' } })).toEqual(['keys.a.type']);
      expect(issues({ a: { type: 'enum' } })).toEqual(['keys.a.values']);
      expect(issues({ a: { type: 'enum', values: ['x', 'x'] } })).toEqual(['keys.a.values']);
      expect(issues({ a: { type: 'boolean', format: 'uuid' } })).toEqual(['keys.a.format']);
      expect(issues({ a: { type: 'string', format: 'regex' } })).toEqual(['keys.a.format']);
      expect(issues({ a: { type: 'string', max_length: 0 } })).toEqual(['keys.a.max_length']);
      expect(issues({ a: { type: 'string', pattern: '^(a+)+$' } })).toEqual(['keys.a']);
      expect(issues({ a: { type: 'string', required: 'yes' } })).toEqual(['keys.a.required']);
      expect(issues({ ['k'.repeat(41)]: { type: 'string' } })).toEqual([`keys.${'k'.repeat(41)}`]);
      expect(issues([])).toEqual(['keys']);
      expect(issues({}, 'no')).toEqual(['allow_other_keys']);
      expect(issues(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, { type: 'string' }])))).toEqual([
        'keys',
      ]);
      expect(
        issues({ a: { type: 'string', format: 'uuid', max_length: 36, required: true, description: 'x' } }),
      ).toEqual([]);
    });
  });
});

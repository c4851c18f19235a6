import { describe, expect, it } from '@jest/globals';
import { decideCompletion, type CompletionInput } from '../../src/completion/completion.workflow.js';
import { connectWebviewDecider, type ConnectWebviewEvent } from '../../src/connect-webviews/connect-webview.js';
import { connectedAccountDecider, type ConnectedAccountEvent } from '../../src/connected-accounts/connected-account.js';
import { accountCreated, LATER, metadataSetEvent, WORKSPACE, webviewCreated } from '../support/domain-fixtures.js';

/**
 * The completion workflow, given a WebviewCompleted and the states it reads, decides the commands to run.
 * Every id it makes is pinned here: a saga step repeated after a crash must write the very same events, so
 * ids that changed between runs (random ones, say) would write them twice.
 */
const COMPLETION_EVENT_ID = '0f6f0c8a-4b7e-4c51-9a0e-2a1c5b7d9e01';
const ACCOUNT = 'f9743036-8c2b-836c-92ba-d084652b3e99';
const FRONT_DOOR = 'b775c098-cba2-8c4d-b9fc-3cbdde7fd967';
const saga = { type: 'completion_saga', connect_webview_id: 'cw1' } as const;

const fold = <E, S>(decider: { initialState: () => S; evolve: (s: S, e: E) => S }, events: E[]) =>
  events.reduce(decider.evolve, decider.initialState());

const webviewEvents: ConnectWebviewEvent[] = [
  webviewCreated({ accepted_providers: ['august'], any_provider_allowed: false }),
  metadataSetEvent({
    resource_type: 'connect_webview',
    resource_id: 'cw1',
    previous: {},
    next: { internal_account_id: 'user-1' },
    changes: { added: { internal_account_id: 'user-1' } },
    cause: { type: 'created' },
  }),
];
const completed = {
  connect_webview_id: 'cw1',
  workspace_id: WORKSPACE,
  provider: 'august' as const,
  email: 'jane@example.com',
  connected_account_id: ACCOUNT,
  completed_at: LATER,
};
const accountCreatedBy = (webview: string) => accountCreated(ACCOUNT, webview);
const input = (accountEvents: ConnectedAccountEvent[]): CompletionInput => ({
  eventId: COMPLETION_EVENT_ID,
  correlationId: 'req-1',
  completed,
  webview: fold(connectWebviewDecider, webviewEvents),
  account: fold(connectedAccountDecider, accountEvents),
});

describe('completion workflow', () => {
  it('for a new account: connect it with the webview metadata, add its devices, link the webview', () => {
    const steps = decideCompletion(input([]));
    expect(steps.map((s) => [s.target, s.stream])).toEqual([
      ['connected_account', `connected_account-${ACCOUNT}`],
      ['device', `device-${FRONT_DOOR}`],
      ['device', 'device-8de3b2c4-dbb1-89d6-91e8-f409dabc2217'],
      ['connect_webview', 'connect_webview-cw1'],
    ]);
    expect(steps[0].command).toEqual({
      type: 'ConnectFromWebview',
      connectedAccountId: ACCOUNT,
      workspaceId: WORKSPACE,
      provider: 'august',
      email: 'jane@example.com',
      connectWebviewId: 'cw1',
      webviewMetadata: { internal_account_id: 'user-1' },
      automaticallyManageNewDevices: true,
      acceptedCapabilities: ['lock', 'thermostat', 'noise_sensor'],
      customerKey: null,
      actor: saga,
      now: LATER,
    });
    expect(steps[1].command).toMatchObject({
      type: 'AddDevice',
      device: { device_id: FRONT_DOOR, name: 'Front Door' },
      now: LATER,
    });
    expect(steps[3].command).toEqual({
      type: 'AuthorizeConnectWebview',
      connectWebviewId: 'cw1',
      actor: saga,
      now: LATER,
    });
    expect(steps.every((s) => s.correlationId === 'req-1')).toBe(true);
  });

  it("derives every event id from the completion's event id and the step: the same on every run", () => {
    const ids = (run: ReturnType<typeof decideCompletion>) => run.map((step) => [step.eventId(0), step.eventId(1)]);
    const steps = decideCompletion(input([]));
    expect(ids(steps)[0]).toEqual(['768a0074-5ecb-8bb6-884d-eeee97c41aa9', '96aa979f-000f-8193-9647-896713a19bad']);
    expect(steps[1].eventId(0)).toBe('f1569518-9d39-826a-92e2-632c2d2b5ef3');
    expect(steps[3].eventId(0)).toBe('8e9b4570-dc90-8996-9c9e-c0b23cfe3b7d');
    expect(ids(decideCompletion(input([])))).toEqual(ids(steps));
  });

  it('for a reconnection: the devices of the second connection, the garage among them', () => {
    const steps = decideCompletion({ ...input([accountCreatedBy('cw0')]) });
    expect(
      steps.filter((s) => s.target === 'device').map((s) => (s.command as { device: { name: string } }).device.name),
    ).toEqual(['Front Door', 'Back Door', 'Garage']);
  });

  it('re-run after the account step already ran: the same devices, not one more connection', () => {
    const afterAccountStep = decideCompletion(input([accountCreatedBy('cw1')]));
    expect(afterAccountStep.filter((s) => s.target === 'device')).toHaveLength(2);
  });

  it('adds the devices the login reported, as recorded in the event, whatever the fixtures say now', () => {
    const reported = [{ key: 'shed', name: 'Shed', device_type: 'august_lock', model: 'August Wi-Fi Smart Lock' }];
    const steps = decideCompletion({
      ...input([accountCreatedBy('cw0')]),
      completed: { ...completed, devices: reported },
    });
    expect(
      steps.filter((s) => s.target === 'device').map((s) => (s.command as { device: { name: string } }).device.name),
    ).toEqual(['Shed']);
  });

  it('refuses a completion of a webview it cannot find', () => {
    expect(() => decideCompletion({ ...input([]), webview: connectWebviewDecider.initialState() })).toThrow(
      /unknown webview/,
    );
  });
});

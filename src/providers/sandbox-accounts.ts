import type { Provider } from './providers.js';

/**
 * The simulated provider accounts of sandbox workspaces: the one fixtures file. An account is (provider,
 * email); the password `1234` logs in, any other fails. Every account has the provider's base devices; the
 * accounts listed in EXTRA_DEVICES get more from a given connection on, so that a reconnection brings new
 * devices.
 */
export const SANDBOX_PASSWORD = '1234';

export interface SandboxDevice {
  /** Stable within the account: with the account id it makes the device id. */
  key: string;
  name: string;
  device_type: string;
  model: string;
}

const BASE_DEVICES: Record<Provider, SandboxDevice[]> = {
  august: [
    { key: 'front-door', name: 'Front Door', device_type: 'august_lock', model: 'August Wi-Fi Smart Lock' },
    { key: 'back-door', name: 'Back Door', device_type: 'august_lock', model: 'August Wi-Fi Smart Lock' },
  ],
  schlage: [
    { key: 'main-entrance', name: 'Main Entrance', device_type: 'schlage_lock', model: 'Schlage Encode' },
    { key: 'side-gate', name: 'Side Gate', device_type: 'schlage_lock', model: 'Schlage Encode Plus' },
  ],
  yale: [
    { key: 'lobby', name: 'Lobby', device_type: 'yale_lock', model: 'Yale Assure Lock 2' },
    { key: 'storage-room', name: 'Storage Room', device_type: 'yale_lock', model: 'Yale Assure Lock 2' },
  ],
  ecobee: [
    { key: 'living-room', name: 'Living Room', device_type: 'ecobee_thermostat', model: 'ecobee3 lite' },
    { key: 'upstairs', name: 'Upstairs', device_type: 'ecobee_thermostat', model: 'ecobee Smart Thermostat Premium' },
  ],
  minut: [{ key: 'lounge', name: 'Lounge Sensor', device_type: 'minut_sensor', model: 'Minut Point' }],
};

/** Devices an account gains from its Nth connection on (1 = the first). */
const EXTRA_DEVICES: { provider: Provider; email: string; fromConnection: number; device: SandboxDevice }[] = [
  {
    provider: 'august',
    email: 'jane@example.com',
    fromConnection: 2,
    device: { key: 'garage', name: 'Garage', device_type: 'august_lock', model: 'August Smart Lock Pro' },
  },
  {
    provider: 'yale',
    email: 'multi@example.com',
    fromConnection: 1,
    device: { key: 'office', name: 'Office', device_type: 'yale_lock', model: 'Yale Assure Lever' },
  },
];

export function sandboxLogin(password: string): boolean {
  return password === SANDBOX_PASSWORD;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function sandboxDevices(provider: Provider, email: string, connection: number): SandboxDevice[] {
  const extras = EXTRA_DEVICES.filter(
    (extra) =>
      extra.provider === provider && extra.email === normaliseEmail(email) && connection >= extra.fromConnection,
  ).map((extra) => extra.device);
  return [...BASE_DEVICES[provider], ...extras];
}

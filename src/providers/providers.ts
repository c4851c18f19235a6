/** The providers this service can connect. Sandbox workspaces use simulated accounts of these brands. */
export const SUPPORTED_PROVIDERS = ['august', 'schlage', 'yale', 'ecobee', 'minut'] as const;
export type Provider = (typeof SUPPORTED_PROVIDERS)[number];

/** How Seam names each provider to people (`account_type_display_name`, a model's manufacturer). */
export const PROVIDER_DISPLAY_NAMES: Record<Provider, string> = {
  august: 'August',
  schlage: 'Schlage',
  yale: 'Yale',
  ecobee: 'ecobee',
  minut: 'Minut',
};

export const PROVIDER_CAPABILITIES = ['lock', 'thermostat', 'noise_sensor', 'access_control'] as const;
export type ProviderCapability = (typeof PROVIDER_CAPABILITIES)[number];

/** The kind of device a provider's accounts have: what its Connect Webview offers, and which list shows them. */
export const PROVIDER_CAPABILITY: Record<Provider, ProviderCapability> = {
  august: 'lock',
  schlage: 'lock',
  yale: 'lock',
  ecobee: 'thermostat',
  minut: 'noise_sensor',
};

/** Seam's provider categories, each mapped to the supported providers it holds. */
export const PROVIDER_CATEGORIES = [
  'stable',
  'consumer_smartlocks',
  'beta',
  'thermostats',
  'noise_sensors',
  'access_control_systems',
  'internal_beta',
] as const;
export type ProviderCategory = (typeof PROVIDER_CATEGORIES)[number];

export function providersInCategory(category: ProviderCategory): Provider[] {
  const of = (capability: ProviderCapability) =>
    SUPPORTED_PROVIDERS.filter((p) => PROVIDER_CAPABILITY[p] === capability);
  switch (category) {
    case 'consumer_smartlocks':
      return of('lock');
    case 'thermostats':
      return of('thermostat');
    case 'noise_sensors':
      return of('noise_sensor');
    case 'access_control_systems':
      return [];
    default:
      return [...SUPPORTED_PROVIDERS];
  }
}

/**
 * Seam's device types of each kind (`@seamapi/types`' `device_type` enums): what `locks/list`,
 * `thermostats/list` and `noise_sensors/list` take as `device_type`, and how a device's kind is known.
 */
export const DEVICE_TYPES = {
  lock: [
    'akuvox_lock',
    'august_lock',
    'brivo_access_point',
    'butterflymx_panel',
    'avigilon_alta_entry',
    'doorking_lock',
    'genie_door',
    'igloo_lock',
    'linear_lock',
    'lockly_lock',
    'kwikset_lock',
    'nuki_lock',
    'salto_lock',
    'schlage_lock',
    'smartthings_lock',
    'wyze_lock',
    'yale_lock',
    'two_n_intercom',
    'controlbyweb_device',
    'ttlock_lock',
    'igloohome_lock',
    'four_suites_door',
    'dormakaba_oracode_door',
    'tedee_lock',
    'akiles_lock',
    'ultraloq_lock',
    'keyincode_lock',
    'omnitec_lock',
    'kisi_lock',
  ],
  thermostat: [
    'ecobee_thermostat',
    'nest_thermostat',
    'honeywell_resideo_thermostat',
    'tado_thermostat',
    'sensi_thermostat',
    'smartthings_thermostat',
  ],
  noise_sensor: ['noiseaware_activity_zone', 'minut_sensor'],
} as const satisfies Partial<Record<ProviderCapability, readonly string[]>>;
export type DeviceKind = keyof typeof DEVICE_TYPES;

export function deviceKindOf(deviceType: string): DeviceKind | undefined {
  return (Object.keys(DEVICE_TYPES) as DeviceKind[]).find((kind) =>
    (DEVICE_TYPES[kind] as readonly string[]).includes(deviceType),
  );
}

/**
 * Seam's capability flags (`can_remotely_unlock`, …) that each kind of sandbox device has: in its object, and
 * what `include_if` and `exclude_if` filter on. Every other flag is false.
 */
export const CAPABILITY_FLAGS = [
  'can_remotely_unlock',
  'can_remotely_lock',
  'can_program_offline_access_codes',
  'can_program_online_access_codes',
  'can_hvac_heat',
  'can_hvac_cool',
  'can_hvac_heat_cool',
  'can_turn_off_hvac',
  'can_simulate_removal',
  'can_simulate_connection',
  'can_simulate_disconnection',
  'can_unlock_with_code',
  'can_run_thermostat_programs',
  'can_program_thermostat_programs_as_weekday_weekend',
  'can_program_thermostat_programs_as_different_each_day',
  'can_program_thermostat_programs_as_same_each_day',
  'can_simulate_hub_connection',
  'can_simulate_hub_disconnection',
  'can_simulate_paid_subscription',
  'can_configure_auto_lock',
] as const;
export type CapabilityFlag = (typeof CAPABILITY_FLAGS)[number];

export const CAPABILITY_FLAGS_OF: Record<DeviceKind, readonly CapabilityFlag[]> = {
  lock: ['can_remotely_lock', 'can_remotely_unlock'],
  thermostat: ['can_hvac_heat', 'can_hvac_cool', 'can_hvac_heat_cool', 'can_turn_off_hvac'],
  noise_sensor: [],
};

/** The device types, of those a kind has, whose devices have the flag: what `include_if` keeps. */
export function deviceTypesWithFlag(flag: CapabilityFlag): string[] {
  return (Object.keys(DEVICE_TYPES) as DeviceKind[])
    .filter((kind) => CAPABILITY_FLAGS_OF[kind].includes(flag))
    .flatMap((kind) => DEVICE_TYPES[kind]);
}

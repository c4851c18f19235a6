/** The providers this service can connect. Sandbox workspaces use simulated accounts of these brands. */
export const SUPPORTED_PROVIDERS = ['august', 'schlage', 'yale'] as const;
export type Provider = (typeof SUPPORTED_PROVIDERS)[number];

/** How Seam names each provider to people (`account_type_display_name`, a model's manufacturer). */
export const PROVIDER_DISPLAY_NAMES: Record<Provider, string> = { august: 'August', schlage: 'Schlage', yale: 'Yale' };

/** Seam's provider categories. Every supported provider is a smart lock, so each category maps to them all. */
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

export const PROVIDER_CAPABILITIES = ['lock', 'thermostat', 'noise_sensor', 'access_control'] as const;
export type ProviderCapability = (typeof PROVIDER_CAPABILITIES)[number];

export function providersInCategory(category: ProviderCategory): Provider[] {
  return ['stable', 'consumer_smartlocks', 'beta', 'internal_beta'].includes(category) ? [...SUPPORTED_PROVIDERS] : [];
}

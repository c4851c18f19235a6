/** Nest injection tokens for what is not a class of its own. */
export const CONFIG = Symbol('CONFIG');
export const EVENT_STORE = Symbol('EVENT_STORE');
export const READ_MODELS_PROJECTOR = Symbol('READ_MODELS_PROJECTOR');
export const COMPLETION_SAGA_CONSUMER = Symbol('COMPLETION_SAGA_CONSUMER');
export const API_KEY_USAGE = Symbol('API_KEY_USAGE');
/** The data keys the log is sealed with (encryption/data-keys.ts); undefined when encryption is off. */
export const DATA_KEYS = Symbol('DATA_KEYS');

// The connected-accounts feature's port: what other features and the shells may use.
export { connectedAccountDecider } from './connected-account.js';
export { ConnectedAccountIds, legacyConnectedAccountId } from './connected-account-id.js';
export type { ConnectedAccountCommand, ConnectedAccountEvent, ConnectedAccountState } from './connected-account.js';
export {
  accountDisconnectedError,
  connectedAccountReadModel,
  findConnectedAccount,
  type ConnectedAccountRecord,
} from './connected-account.projection.js';
export { CONNECTED_ACCOUNTS_LISTING } from './connected-account.projection.js';

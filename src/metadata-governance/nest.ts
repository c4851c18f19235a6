// The metadata-governance feature's Nest port: its module and queries, for the shells and the app.
export * from './governance.cqrs.js';
export { MetadataGovernanceModule } from './metadata-governance.module.js';

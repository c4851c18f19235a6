// The layering rule (README, "Code map"), checked by `npm run lint`:
//   base (common, custom-metadata, event-store, providers) ← read-models ← features ← http ← app (src/*.ts)
// A folder imports only folders below it. A feature imports another feature only through one of its two
// ports, never in a cycle: index.ts, its pure domain (deciders, projections, queries), which loads no Nest;
// and nest.ts, its Nest module and command and query handlers.
const BASE = '^src/(common|custom-metadata|encryption|event-store|providers)/';
const READ_MODELS = '^src/read-models/';
const FEATURES =
  '^src/(workspaces|connect-webviews|connected-accounts|devices|completion|audit|events|webhooks|erasure|metadata-governance)/';
const HTTP = '^src/http/';
const APP = '^src/[^/]+\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'common-is-the-bottom',
      comment: 'common/ is the bottom layer: it imports no other folder of the project.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/', pathNot: '^src/common/' },
    },
    {
      name: 'base-imports-no-layer-above',
      comment: 'custom-metadata, event-store and providers import only common and each other.',
      severity: 'error',
      from: { path: BASE },
      to: { path: [READ_MODELS, FEATURES, HTTP, APP] },
    },
    {
      name: 'read-models-are-generic',
      comment: 'read-models/ is machinery: it imports no feature; the app composes the features\' read models.',
      severity: 'error',
      from: { path: READ_MODELS },
      to: { path: [FEATURES, HTTP, APP] },
    },
    {
      name: 'features-import-no-shell',
      comment: 'A feature knows nothing of HTTP or of the app that composes it.',
      severity: 'error',
      from: { path: FEATURES },
      to: { path: [HTTP, APP] },
    },
    {
      name: 'features-meet-through-ports',
      comment: 'A feature reaches another feature only through its ports, src/<feature>/index.ts and nest.ts.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: FEATURES, pathNot: ['^src/$1/', '^src/[^/]+/(index|nest)\\.ts$'] },
    },
    {
      name: 'domain-ports-load-no-nest',
      comment: "A feature's domain port (index.ts) can be imported without loading Nest: Nest is in nest.ts.",
      severity: 'error',
      from: { path: `${FEATURES}index\\.ts$` },
      to: { path: 'node_modules/@nestjs/', reachable: true },
    },
    {
      name: 'http-imports-no-app',
      severity: 'error',
      from: { path: HTTP },
      to: { path: APP },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycle, between folders or inside one.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
  },
};

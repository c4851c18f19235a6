import { readFileSync } from 'node:fs';

/**
 * The service needs the Node of package.json's `engines.node` (node:sqlite, its online backup). This module
 * imports nothing else, so that it runs, and says so in one line, on any older Node before the rest loads.
 */
export function exitUnlessSupportedNode(): void {
  const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    engines: { node: string };
  };
  const minimum = engines.node.replace(/^>=\s*/, '');
  if (compareVersions(process.versions.node, minimum) >= 0) return;
  process.stderr.write(
    `custom-metadata-service needs Node ${minimum} or newer (this is ${process.version}); ` +
      '`npm start`, `npm test` and `npm run cli` use the Node 24 pinned in node_modules.\n',
  );
  process.exit(1);
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((version) => version.split('.').map(Number));
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

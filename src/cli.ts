import { exitUnlessSupportedNode } from './node-version.js';

exitUnlessSupportedNode();
// Data files hold API key hashes, webhook secrets and customers' metadata: readable by this user only.
process.umask(0o077);
await import('./cli-program.js');

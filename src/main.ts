import { exitUnlessSupportedNode } from './node-version.js';

exitUnlessSupportedNode();
await import('./serve.js');

import { exitUnlessSupportedNode } from './node-version.js';

exitUnlessSupportedNode();
await import('./cli-program.js');

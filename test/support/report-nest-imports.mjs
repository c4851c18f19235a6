// Preloaded with --import: prints every module resolved from an @nestjs package, to tell whether code
// that should not need Nest loads it.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (resolved.url.includes('/node_modules/@nestjs/')) process.stderr.write(`nest loaded: ${specifier}\n`);
    return resolved;
  },
});

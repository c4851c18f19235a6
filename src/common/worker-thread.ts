import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of the service, named as its compiled `.js` file beside the caller
 * (`new URL('./x.js', import.meta.url)`). Built, that file exists. Under the tests the caller is a `.ts`
 * source and so is the module: the worker then loads it through Node's own TypeScript transform, with the
 * `.js` specifiers of its imports resolved to their `.ts` sources, as the compiler does. That transform
 * knows no decorators, so a worker that imports Nest modules runs only from the build (the e2e tests).
 */
export function startWorker(module: URL, workerData: unknown, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(module, { ...options, workerData });
  const entry = module.href.replace(/\.js$/, '.ts');
  return new Worker(FROM_TYPESCRIPT_SOURCES, {
    ...options,
    eval: true,
    workerData: { workerData, entry },
    execArgv: ['--disable-warning=ExperimentalWarning'],
  });
}

const FROM_TYPESCRIPT_SOURCES = `
const { registerHooks, stripTypeScriptTypes } = require('node:module');
const { readFileSync } = require('node:fs');
const { fileURLToPath } = require('node:url');
const threads = require('node:worker_threads');
const { workerData, entry } = threads.workerData;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
      specifier = specifier.slice(0, -3) + '.ts';
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (!url.endsWith('.ts')) return nextLoad(url, context);
    const source = readFileSync(fileURLToPath(url), 'utf8');
    return { format: 'module', source: stripTypeScriptTypes(source, { mode: 'transform', sourceUrl: url }), shortCircuit: true };
  },
});
threads.workerData = workerData;
require('node:module').syncBuiltinESMExports();
import(entry);
`;

// The functions a V8 CPU profile (`node --cpu-prof`) spent its time in: inclusive (with what they call, each
// function once per stack) and self, the top N of each, as milliseconds and shares of the whole.
//   node bench/support/cpu-profile-summary.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nameOf = ({ callFrame: { functionName, url, lineNumber } }) =>
  `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber}`;

const sampled = new Map();
profile.samples.forEach((id, i) => sampled.set(id, (sampled.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const inclusive = new Map();
const self = new Map();
for (const [id, micros] of sampled) {
  const own = nameOf(nodes.get(id));
  self.set(own, (self.get(own) ?? 0) + micros);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const name = nameOf(nodes.get(at));
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + micros);
  }
}
const total = [...sampled.values()].reduce((a, b) => a + b, 0);
for (const [label, times] of [
  ['inclusive', inclusive],
  ['self', self],
]) {
  console.log(label);
  for (const [name, micros] of [...times].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(
      `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`,
    );
  }
}

import type { CustomMetadata } from '../../src/custom-metadata/custom-metadata.js';
import type { MetadataKeyCount } from '../../src/read-models/custom-metadata-index.js';

/**
 * The key inventory as a count over the resources' metadata in plain JavaScript, keys in name order: each
 * key's holders, and its 10 most frequent values with theirs (ties: the greater value first, as the service).
 */
export function keyCountsOver(metadatas: Iterable<CustomMetadata>): MetadataKeyCount[] {
  const counts = new Map<string, Map<string, number>>();
  for (const metadata of metadatas) {
    for (const [key, value] of Object.entries(metadata)) {
      const byValue = counts.get(key) ?? new Map<string, number>();
      byValue.set(JSON.stringify(value), (byValue.get(JSON.stringify(value)) ?? 0) + 1);
      counts.set(key, byValue);
    }
  }
  return [...counts]
    .map(([key, byValue]) => ({
      key,
      resources: [...byValue.values()].reduce((a, b) => a + b, 0),
      top_values: [...byValue]
        .sort(([va, a], [vb, b]) => b - a || (va < vb ? 1 : -1))
        .slice(0, 10)
        .map(([value, resources]) => ({ value: JSON.parse(value) as string | boolean, resources })),
    }))
    .sort(byKey);
}

export const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

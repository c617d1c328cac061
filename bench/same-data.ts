/**
 * The agreement check of a server that answers in the stored shape (servers/splice.ts) rather
 * than the served one: its bytes cannot be the gateway's, but its data must be. Every list has as
 * many items, every record the same fields less `stale` (stored values have none; the gateway's
 * answer carries `stale: false` on each), in any order, and every leaf the same value, but for a
 * trade's `side`, stored in lower case and served upper case by its enum. Returns where the two
 * first differ, or undefined when they carry the same data.
 */
export function dataDifference(served: string, stored: string): string | undefined {
  let actual: unknown;
  try {
    actual = JSON.parse(stored);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : error}): ${stored.slice(0, 200)}`;
  }
  return difference('', JSON.parse(served), actual);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => JSON.stringify(value)?.slice(0, 120);

function difference(path: string, expected: unknown, actual: unknown): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list of ${expected.length}, found ${show(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, found ${actual.length}`;
    for (const [i, item] of expected.entries()) {
      const found = difference(`${path}[${i}]`, item, actual[i]);
      if (found) return found;
    }
    return undefined;
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return `${path}: expected a record, found ${show(actual)}`;
    const fields = Object.keys(expected).filter((key) => !(key === 'stale' && expected[key] === false));
    const [want, have] = [[...fields].sort().join(' '), Object.keys(actual).sort().join(' ')];
    if (want !== have) return `${path}: expected the fields ${want}, found ${have}`;
    for (const key of fields) {
      const found = difference(`${path}.${key}`, expected[key], actual[key]);
      if (found) return found;
    }
    return undefined;
  }
  if (expected === actual) return undefined;
  if (path.endsWith('.side') && typeof actual === 'string' && actual.toUpperCase() === expected) return undefined;
  return `${path || 'the answer'}: expected ${show(expected)}, found ${show(actual)}`;
}

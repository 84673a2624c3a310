/** A step of a JSON path: an object key or an array index. */
export type JsonPathSegment = { key: string } | { index: number };

/** What a JSON path found: a value (which may be null), or nothing at all. */
export type Found = { present: true; value: unknown } | { present: false };

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;

/**
 * Parses the JSON paths declarative checks use: `$`, `$.a.b`, `$.items[0]`, `$["odd key"]`. Throws an error saying
 * where the path stops making sense.
 */
export function parseJsonPath(jsonPath: string): JsonPathSegment[] {
  if (!jsonPath.startsWith('$')) throw new Error(`"${jsonPath}" does not start with $`);
  const segments: JsonPathSegment[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < jsonPath.length) {
    const at = SEGMENT.lastIndex;
    const m = SEGMENT.exec(jsonPath);
    if (!m) throw new Error(`"${jsonPath}" cannot be read from position ${at} (expected .key, [index] or ["key"])`);
    if (m[1] !== undefined) segments.push({ key: m[1] });
    else if (m[2] !== undefined) segments.push({ index: Number(m[2]) });
    else segments.push({ key: quotedKey(jsonPath, m[3]!, at) });
  }
  return segments;
}

function quotedKey(jsonPath: string, escaped: string, at: number): string {
  try {
    return JSON.parse(`"${escaped}"`) as string;
  } catch {
    throw new Error(`"${jsonPath}" has a quoted key at position ${at} that is not a valid JSON string`);
  }
}

/** The value at a JSON path (see parseJsonPath), or that there is none. */
export function readJsonPath(root: unknown, jsonPath: string): Found {
  let value: unknown = root;
  for (const segment of parseJsonPath(jsonPath)) {
    if ('key' in segment) {
      if (!isPlainObject(value) || !Object.hasOwn(value, segment.key)) return { present: false };
      value = value[segment.key];
    } else {
      if (!Array.isArray(value) || segment.index >= value.length) return { present: false };
      value = value[segment.index];
    }
  }
  return { present: true, value };
}

/** `{ exists: boolean }` asks only whether the path holds something; any other value is compared as JSON. */
export function isExistence(want: unknown): want is { exists: boolean } {
  return isPlainObject(want) && Object.keys(want).length === 1 && typeof want.exists === 'boolean';
}

/** What is wrong with what a path found, in words that follow the path ("is missing", "is 3, expected 4"); undefined when it matches. */
export function jsonMismatch(found: Found, want: unknown): string | undefined {
  if (isExistence(want)) {
    if (want.exists && !found.present) return 'is missing';
    if (!want.exists && found.present) return `is present (${JSON.stringify(found.value)})`;
    return undefined;
  }
  if (!found.present) return `is missing, expected ${JSON.stringify(want)}`;
  if (!jsonEqual(found.value, want)) return `is ${JSON.stringify(found.value)}, expected ${JSON.stringify(want)}`;
  return undefined;
}

/** Equality of parsed JSON values: same type, same array order, same object keys in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

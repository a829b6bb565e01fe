/**
 * Nesting depth of parsed JSON, measured without recursion. JSON.parse copes with any depth, but
 * everything after it that walks the value recursively (hashing canonical JSON, serialising,
 * schema checks) overflows the stack on a body nested thousands of levels deep; such a body is
 * refused as malformed before anything reads it.
 */
export const MAX_JSON_DEPTH = 64;

export function exceedsJsonDepth(value: unknown, maxDepth = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

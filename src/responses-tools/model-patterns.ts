// Model-name patterns of provider presets and options (`*` wildcards): both translators match models with these.

const compiledPatterns = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal; case-insensitive. */
export function matchPattern(pattern: string, name: string): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    compiled = new RegExp(`^${source}$`, 'i');
    // Patterns come from presets and the config: a bounded set, matched on every request.
    if (compiledPatterns.size < 1000) compiledPatterns.set(pattern, compiled);
  }
  return compiled.test(name);
}

/** Exact key first, then the first matching pattern in insertion order. */
export function lookupPattern<V>(map: Readonly<Record<string, V>>, name: string): V | undefined {
  if (Object.hasOwn(map, name)) return map[name];
  for (const [pattern, value] of Object.entries(map)) if (pattern.includes('*') && matchPattern(pattern, name)) return value;
  return undefined;
}

export function allMatching<V>(map: Readonly<Record<string, V>>, name: string): V[] {
  return Object.entries(map).filter(([pattern]) => matchPattern(pattern, name)).map(([, value]) => value);
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** FNV-1a 64-bit over the UTF-8 bytes, as 16 lowercase hex digits (the original's correlation hash). */
export function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * A value that correlates log lines without revealing the value: `hash:<hex> prefix:<first 8 chars>`.
 * Only for ids (request ids); never for secrets, whose prefix would leak.
 */
export function stableHash(value: string): string {
  if (value === '') return `hash:${fnv1a64(value)}`;
  return `hash:${fnv1a64(value)} prefix:${[...value].slice(0, 8).join('')}`;
}

/** The first `max` characters plus `…` when longer. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
}

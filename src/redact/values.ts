/**
 * Redaction by value: secrets recognised by their shape, wherever they appear (a prompt, a tool output, an
 * SSE event, an error message). Key and header rules miss a token pasted into text; these patterns do not.
 */

export const REDACTED = '<redacted>';

interface ValuePattern {
  name: string;
  pattern: RegExp;
  replace: string | ((match: string, ...groups: string[]) => string);
}

/** Ordered: scheme-prefixed forms first so `Bearer ghu_…` keeps its scheme word. */
export const valuePatterns: readonly ValuePattern[] = [
  { name: 'bearer', pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=:;-]{8,}/gi, replace: (_m, scheme: string) => `${scheme} ${REDACTED}` },
  { name: 'github', pattern: /\b(?:gh[oprsu]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: REDACTED },
  { name: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: REDACTED },
  { name: 'openai-key', pattern: /\bsk-[A-Za-z0-9_-]{16,}/g, replace: REDACTED },
  { name: 'google-key', pattern: /\bAIza[0-9A-Za-z_-]{30,}/g, replace: REDACTED },
  // Copilot session tokens: `tid=…;exp=…;sku=…;proxy-ep=…;…:<hmac>` (fields may come in another order).
  { name: 'copilot', pattern: /\b(?:tid|exp)=[^\s"'\\;]*;[^\s"'\\]*/g, replace: REDACTED },
];

/** Replaces every recognised secret in `text`. */
export function redactText(text: string): string {
  let out = text;
  for (const { pattern, replace } of valuePatterns) {
    pattern.lastIndex = 0;
    out = out.replace(pattern, replace as (substring: string, ...args: string[]) => string);
  }
  return out;
}

/** Whether `text` holds anything `redactText` would replace. */
export function containsSecret(text: string): boolean {
  return valuePatterns.some(({ pattern }) => {
    pattern.lastIndex = 0;
    const hit = pattern.test(text);
    pattern.lastIndex = 0;
    return hit;
  });
}

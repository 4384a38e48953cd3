import fc from 'fast-check';
import { describe, it } from 'vitest';
import { redactJsonText, redactText, secretRanges } from '../../src/index.js';

// The linear scanners must find what the regexes they replaced found. The reference regexes run only on short
// strings here: on long ones they backtrack for minutes (test/security/redact-bounds.test.ts).

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const REDACTED = '<redacted>';

/** The value patterns as they were, in their order. */
const REFERENCE: [RegExp, string | ((m: string, scheme: string) => string)][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=:;-]{8,}/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  [/\b(?:gh[oprsu]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\b(?:tid|exp)=[^\s"'\\;]*;[^\s"'\\]*/g, REDACTED],
];

function referenceRedact(text: string): string {
  let out = text;
  for (const [pattern, replace] of REFERENCE) out = out.replace(pattern, replace as (m: string, ...groups: string[]) => string);
  return out;
}

/** Pieces the patterns care about, so random strings hit their edges often. */
const piece = fc.constantFrom('eyJ', 'eyJhbGciOi', 'abcde', 'ab', '.', '-', '_', 'x', '7', 'tid=', 'exp=', ';', ':', ' ', '"', "'", '\\', '=', 'sku=a', 'Bearer ', 'basic\t', 'ghp_', 'AAAAbbbbCCCCdddd1234', 'sk-', 'AIza', '\n', 'é');
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

describe('value patterns, linear scanners against the regexes they replaced', () => {
  it('redactText redacts exactly what the old patterns redacted', () => {
    fc.assert(fc.property(text, (t) => redactText(t) === referenceRedact(t)), { numRuns: RUNS * 4 });
  });

  it('secretRanges covers every secret: blanking its ranges leaves nothing to redact', () => {
    fc.assert(
      fc.property(text, (t) => {
        let blanked = '';
        let from = 0;
        for (const [start, end] of secretRanges(t)) {
          // A quote is in no pattern's characters and no whitespace, so blanking cannot join pieces into a new secret.
          blanked += t.slice(from, start) + '"'.repeat(end - start);
          from = end;
        }
        blanked += t.slice(from);
        return redactText(blanked) === blanked;
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('redactJsonText never keeps the value of a sensitive key in any prefix of a JSON text', () => {
    const value = fc.string({ minLength: 12, maxLength: 30 }).map((s) => `V${s.replace(/[^a-z0-9]/gi, 'q')}`);
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('model', 'note', 'x', 'api_key', 'access_token', 'client_secret', 'text'), fc.oneof(value, fc.integer())), value, fc.nat(), (object, secret, cut) => {
        const json = JSON.stringify({ ...object, githubToken: secret, after: 'plain' });
        const prefix = json.slice(0, json.length - (cut % json.length));
        const out = redactJsonText(prefix);
        const kept = Object.entries({ ...object, githubToken: secret }).filter(([k, v]) => typeof v === 'string' && /token|secret|api_key/.test(k));
        return kept.every(([, v]) => !out.includes(String(v)));
      }),
      { numRuns: RUNS },
    );
  });
});

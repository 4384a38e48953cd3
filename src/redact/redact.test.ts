import { describe, expect, it } from 'vitest';
import { containsSecret, fnv1a64, redactAllStrings, redactHeaders, redactJson, redactJsonText, redactText, redactUrl, stableHash } from './index.js';

const SECRETS = {
  bearer: 'Bearer abcdefghijklmnopqrstuvwx0123',
  ghu: 'ghu_AAAAbbbbCCCCdddd1234567890',
  gho: 'gho_ZZZZyyyyXXXXwwww0987654321',
  ghp: 'ghp_1111aaaa2222bbbb3333cccc',
  ghs: 'ghs_9999qqqq8888rrrr7777',
  pat: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  sk: 'sk-proj-ABCDEFGHIJKLMNOPQRSTuvwxyz012345',
  copilot: 'tid=0123abcd;exp=1760000000;sku=copilot_for_business;proxy-ep=proxy.business.githubcopilot.com;st=dotcom;8kp=1:4f2e9c0d',
};

describe('value patterns', () => {
  it.each(Object.entries(SECRETS))('removes a %s token from prose', (_name, secret) => {
    const text = `before ${secret} after`;
    expect(containsSecret(text)).toBe(true);
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out.startsWith('before ')).toBe(true);
    expect(out.endsWith(' after')).toBe(true);
  });

  it('keeps ordinary text, including words such as token and bearer', () => {
    const text = 'the token limit was exceeded; bearer of bad news; sk-short; ghp_x';
    expect(redactText(text)).toBe(text);
  });

  it('keeps the scheme word of an authorization value', () => {
    expect(redactText(`Bearer ${SECRETS.copilot}`)).toBe('Bearer <redacted>');
  });
});

describe('key redaction', () => {
  it('redacts sensitive keys at any depth, keeps counts and runs value patterns on the rest', () => {
    const out = redactJson({
      Authorization: 'x',
      nested: [{ githubToken: 'g', client_secret: 's', encrypted_content: 'e', max_output_tokens: 100, text: `see ${SECRETS.ghu}` }],
      usage: { input_tokens: 5 },
    });
    expect(out).toEqual({
      Authorization: '<redacted>',
      nested: [{ githubToken: '<redacted>', client_secret: '<redacted>', encrypted_content: '<redacted>', max_output_tokens: 100, text: 'see <redacted>' }],
      usage: { input_tokens: 5 },
    });
  });

  it('copies an object that appears twice, and cuts only a real cycle', () => {
    const shared = { role: 'user' };
    expect(redactJson({ a: shared, b: [shared] })).toEqual({ a: { role: 'user' }, b: [{ role: 'user' }] });
    const loop: Record<string, unknown> = { name: 'x' };
    loop.self = loop;
    expect(redactJson(loop)).toEqual({ name: 'x', self: '[circular]' });
  });

  it('redacts every string at the content_redacted level but keeps numbers and booleans', () => {
    expect(redactAllStrings({ a: 'x', b: [true, 2, 'y'], c: null })).toEqual({ a: '<redacted-content>', b: [true, 2, '<redacted-content>'], c: null });
  });

  it('redacts sensitive members of JSON text that cannot be parsed, even cut off', () => {
    const text = '{"model":"m","encrypted_content":"gAAAAsecret","access_token":"abc';
    const out = redactJsonText(text);
    expect(out).toBe('{"model":"m","encrypted_content":"<redacted>","access_token":"<redacted>"');
  });
});

describe('headers and urls', () => {
  it('redacts secret headers, hashes request ids and scans other values', () => {
    const out = redactHeaders({ Authorization: 'Bearer x', 'X-Copilot-Token': 't', 'content-type': 'application/json', 'x-request-id': 'req-123456789', 'x-other': `v ${SECRETS.sk}` });
    expect(out.authorization).toBe('<redacted>');
    expect(out['x-copilot-token']).toBe('<redacted>');
    expect(out['content-type']).toBe('application/json');
    expect(out['x-request-id']).toMatch(/^hash:[0-9a-f]{16} prefix:req-1234$/);
    expect(out['x-other']).toBe('v <redacted>');
  });

  it('drops credentials, query and fragment from urls', () => {
    expect(redactUrl('https://user:password@example.test/responses?access_token=secret&safe=value#token-secret')).toBe('https://example.test/responses');
    expect(redactUrl('https://example.test')).toBe('https://example.test/');
    expect(redactUrl('not a url?token=x')).toBe('not a url');
  });

  it('hashes deterministically with FNV-1a 64', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(stableHash('abc')).toBe(stableHash('abc'));
    expect(stableHash('')).toBe('hash:cbf29ce484222325');
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactJson, redactPieces } from '../../src/index.js';
import rawDiagnostics from '../../src/plugins/raw-diagnostics/index.js';
import { sendSse, startMockUpstream } from '../support/mock-upstream.js';
import { startRouter } from '../support/router.js';
import { tempDir } from '../support/temp.js';
import { upstreamTo } from '../support/upstream-plugin.js';

// Raw diagnostics must not keep a secret because of where it sits: as a JSON key, or split across stream deltas.

const KEY_IN_REQUEST = 'ghp_RequestKey1111aaaa2222bbbb';
const KEY_IN_RESPONSE = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrZXkifQ.c2lnbmF0dXJlLW9mLWtleQ';
const SPLIT = 'github_pat_11SPLITSECRET0123456789_abcdefghijklmnop';
const [HEAD, TAIL] = [SPLIT.slice(0, 14), SPLIT.slice(14)];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function diagnostics(level: string): Promise<string> {
  const upstream = await startMockUpstream((_req, res) =>
    sendSse(res, [
      { type: 'response.created', response: { id: 'resp_1', status: 'in_progress', output: [], metadata: { [KEY_IN_RESPONSE]: 'x' } } },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: `here: ${HEAD}` },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: `${TAIL} and more` },
      { type: 'response.output_text.delta', item_id: 'msg_2', output_index: 1, content_index: 0, delta: 'other text' },
      { type: 'response.completed', response: { id: 'resp_1', status: 'completed', output: [] } },
    ]),
  );
  cleanup.push(() => upstream.close());
  const file = join(tempDir('ccrx-diag-secrets-'), 'diag.jsonl');
  const gw = await startRouter({ plugins: [upstreamTo(upstream), [rawDiagnostics, { level, file }]] });
  const res = await fetch(`${gw.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5', stream: true, input: 'hi', metadata: { [KEY_IN_REQUEST]: 'v' } }),
  });
  expect(await res.text()).toContain(TAIL);
  await gw.close();
  return readFile(file, 'utf8');
}

describe('raw diagnostics', () => {
  it.each(['content_redacted', 'full_content'])('at %s, a secret used as a JSON key is redacted in request and response', async (level) => {
    const raw = await diagnostics(level);
    expect(raw).toContain('upstream_response_content');
    expect(raw).not.toContain(KEY_IN_REQUEST);
    expect(raw).not.toContain(KEY_IN_RESPONSE);
  });

  it('at full_content, a secret split across two deltas leaves no part of itself in either', async () => {
    const raw = await diagnostics('full_content');
    expect(raw).not.toContain(HEAD);
    expect(raw).not.toContain(TAIL);
    expect(raw).toContain('"delta":"here: <redacted>"');
    expect(raw).toContain('"delta":"<redacted> and more"');
    expect(raw).toContain('"delta":"other text"');
  });

  it('keys that redact to the same text keep every member', () => {
    expect(redactJson({ [KEY_IN_REQUEST]: 1, [KEY_IN_RESPONSE]: 2, plain: 3 })).toEqual({ '<redacted>': 1, '<redacted>#2': 2, plain: 3 });
    expect(redactPieces(['a ghp_1111', 'aaaa2222bbbb3333 b', ' c'])).toEqual(['a <redacted>', '<redacted> b', ' c']);
  });
});

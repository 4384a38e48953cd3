import { describe, expect, it } from 'vitest';
import { PEEK_MIN_BYTES, type InboundRequest } from '../index.js';
import { rememberRequestModel, requestModel } from './request-model.js';

/** An inbound request whose json() refuses large bodies: those must be answered by the peek alone. */
function inbound(text: string): InboundRequest {
  const body = Buffer.from(text);
  return {
    body,
    json: () => {
      if (body.length >= PEEK_MIN_BYTES) throw new Error('parsed a body the peek should have read');
      return JSON.parse(text) as unknown;
    },
  } as unknown as InboundRequest;
}

const pad = 'x'.repeat(PEEK_MIN_BYTES);

describe('requestModel', () => {
  it('reads the model of small (parsed) and large (peeked) bodies alike', () => {
    expect(requestModel(inbound('{"model":"gpt-5.2-codex","input":"hi"}'))).toBe('gpt-5.2-codex');
    expect(requestModel(inbound(`{"instructions":"${pad}","model":"claude-sonnet-4.5","input":"hi"}`))).toBe('claude-sonnet-4.5');
    expect(requestModel(inbound(`{"instructions":"${pad}","model":"a\\u002db","model":"last-wins"}`))).toBe('last-wins');
  });

  it('has no model for a missing, empty or non-string one', () => {
    for (const text of ['{"input":"hi"}', '{"model":""}', '{"model":5}', '[1]', `{"instructions":"${pad}","model":null}`, `{"instructions":"${pad}"}`]) {
      expect(requestModel(inbound(text)), text.slice(0, 30)).toBeUndefined();
    }
  });

  it('answers what a plugin that parsed the body remembered, without reading the body again; the first answer stands', () => {
    // Not JSON: a walk of this body would find no model.
    const parsedElsewhere = inbound(`{"model":"gpt-5.2-codex","input":"${pad}`);
    rememberRequestModel(parsedElsewhere, { model: 'gpt-5.2-codex' });
    expect(requestModel(parsedElsewhere)).toBe('gpt-5.2-codex');
    rememberRequestModel(parsedElsewhere, { model: 'other' });
    expect(requestModel(parsedElsewhere)).toBe('gpt-5.2-codex');
    const asked = inbound(`{"instructions":"${pad}","model":"claude-sonnet-4.5"}`);
    expect(requestModel(asked)).toBe('claude-sonnet-4.5');
    rememberRequestModel(asked, { model: 'other' });
    expect(requestModel(asked)).toBe('claude-sonnet-4.5');
    const none = inbound(`{"instructions":"${pad}"}`);
    rememberRequestModel(none, { model: '' });
    expect(requestModel(none)).toBeUndefined();
  });
});

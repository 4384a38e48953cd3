import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PEEK_MIN_BYTES, type Exchange } from '../../index.js';
import { classifyInitiator, type InitiatorDecision } from './initiator.js';

/**
 * An exchange as the kernel hands it over, reduced to what the classifier reads. A large body must be decided by
 * the peek alone: its `json()` refuses, so a test passes only if the peek answered.
 */
function exchangeWith(body: Buffer, { parse = body.length < PEEK_MIN_BYTES } = {}): Exchange {
  return {
    inbound: {
      route: 'responses',
      headers: {},
      body,
      json: () => {
        if (!parse) throw new Error('parsed a body the peek should have decided');
        return JSON.parse(body.toString('utf8')) as unknown;
      },
    },
  } as unknown as Exchange;
}

const padded = (body: object) => ({ instructions: 'x'.repeat(PEEK_MIN_BYTES), ...body });
const small = (body: object) => classifyInitiator(exchangeWith(Buffer.from(JSON.stringify(body))));
const large = (body: object) => classifyInitiator(exchangeWith(Buffer.from(JSON.stringify(padded(body)))));

const USER: InitiatorDecision = { initiator: 'user', reason: 'last-input-user-message' };
const NOT_USER: InitiatorDecision = { initiator: 'agent', reason: 'last-input-not-user' };
const NO_INPUT: InitiatorDecision = { initiator: 'agent', reason: 'no-input' };

const item = fc.oneof(
  fc.record({ type: fc.constantFrom('message', 'function_call_output', 'reasoning', 'custom_tool_call_output'), role: fc.constantFrom('user', 'assistant', 'developer'), content: fc.string() }),
  fc.record({ role: fc.constantFrom('user', 'assistant') }, { requiredKeys: [] }),
  fc.record({ type: fc.jsonValue(), role: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);

describe('x-initiator classification', () => {
  it.each([
    ['a first user turn', { input: [{ type: 'message', role: 'user', content: 'hi' }] }, USER],
    ['a plain string input', { input: 'hi' }, USER],
    ['a user message without a type', { input: [{ role: 'user', content: 'hi' }] }, USER],
    ['a tool-loop continuation', { input: [{ type: 'message', role: 'user', content: 'hi' }, { type: 'function_call_output', call_id: 'c', output: 'ok' }] }, NOT_USER],
    ['an assistant message last', { input: [{ type: 'message', role: 'assistant', content: 'x' }] }, NOT_USER],
    ['a null last item', { input: [{ type: 'message', role: 'user' }, null] }, NOT_USER],
    ['a typed non-message with role user', { input: [{ type: 'reasoning', role: 'user' }] }, NOT_USER],
    ['an empty input', { input: [] }, NO_INPUT],
    ['no input at all', { model: 'm' }, NO_INPUT],
    ['an input that is an object', { input: { role: 'user' } }, NO_INPUT],
  ])('%s: the same decision parsed (small body) and peeked at (large body)', (_name, body, decision) => {
    expect(small(body)).toEqual(decision);
    expect(large(body)).toEqual(decision);
  });

  it('the peek decides any large body exactly as a full parse decides the same body', () => {
    fc.assert(
      fc.property(fc.record({ model: fc.string(), input: fc.oneof(fc.array(item, { maxLength: 6 }), fc.string(), fc.jsonValue()), tools: fc.array(fc.jsonValue(), { maxLength: 3 }) }, { requiredKeys: [] }), (body) => {
        const parsed = classifyInitiator(exchangeWith(Buffer.from(JSON.stringify(padded(body))), { parse: true }));
        // The same bytes through the peek alone (json() refuses): decision and reason must match.
        expect(large(body)).toEqual(parsed);
      }),
      { numRuns: 1000 },
    );
  });

  it('still refuses a body that is not JSON', () => {
    expect(() => classifyInitiator(exchangeWith(Buffer.from('{"input": [')))).toThrow(SyntaxError);
    // Malformed structure in a large body: the peek gives up and the full parse raises.
    expect(() => classifyInitiator(exchangeWith(Buffer.from(`{"instructions":"${'x'.repeat(PEEK_MIN_BYTES)}","input": [`), { parse: true }))).toThrow(SyntaxError);
  });

  it('reads escaped type and role values', () => {
    const body = Buffer.from(`{"instructions":"${'x'.repeat(PEEK_MIN_BYTES)}","input":[{"type":"mess\\u0061ge","role":"\\u0075ser","content":"hi"}]}`);
    expect(classifyInitiator(exchangeWith(body))).toEqual(USER);
  });
});

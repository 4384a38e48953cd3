import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PEEK_MIN_BYTES, type Exchange } from '../../index.js';
import { classifyInitiator } from './initiator.js';

/** An exchange as the kernel hands it over, reduced to what the classifier reads. */
function exchangeWith(body: Buffer): Exchange {
  return {
    inbound: {
      route: 'responses',
      headers: {},
      body,
      json: () => JSON.parse(body.toString('utf8')) as unknown,
    },
  } as unknown as Exchange;
}

/** The rule as documented, applied to a parsed body. */
function expected(body: unknown): 'user' | 'agent' {
  const input = (body as { input?: unknown } | null)?.input;
  if (typeof input === 'string') return 'user';
  if (!Array.isArray(input) || input.length === 0) return 'agent';
  const last = input[input.length - 1] as { type?: unknown; role?: unknown } | null;
  const isMessage = last !== null && typeof last === 'object' && (last.type === 'message' || last.type === undefined);
  return isMessage && last.role === 'user' ? 'user' : 'agent';
}

const item = fc.oneof(
  fc.record({ type: fc.constantFrom('message', 'function_call_output', 'reasoning', 'custom_tool_call_output'), role: fc.constantFrom('user', 'assistant', 'developer'), content: fc.string() }),
  fc.record({ role: fc.constantFrom('user', 'assistant') }, { requiredKeys: [] }),
  fc.record({ type: fc.jsonValue(), role: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);

describe('x-initiator classification', () => {
  it('peeks at the last input item and decides as a full parse would, for any body shape', () => {
    fc.assert(
      fc.property(fc.record({ model: fc.string(), input: fc.oneof(fc.array(item, { maxLength: 6 }), fc.string(), fc.jsonValue()), tools: fc.array(fc.jsonValue(), { maxLength: 3 }) }, { requiredKeys: [] }), fc.boolean(), (body, large) => {
        // Large bodies are peeked at, small ones parsed: both must decide alike.
        const sent = large ? { instructions: 'x'.repeat(PEEK_MIN_BYTES), ...body } : body;
        expect(classifyInitiator(exchangeWith(Buffer.from(JSON.stringify(sent)))).initiator).toBe(expected(body));
      }),
      { numRuns: 1000 },
    );
  });

  it('still refuses a body that is not JSON', () => {
    expect(() => classifyInitiator(exchangeWith(Buffer.from('{"input": [')))).toThrow();
    expect(() => classifyInitiator(exchangeWith(Buffer.from(`{"instructions":"${'x'.repeat(PEEK_MIN_BYTES)}","input": [`)))).toThrow();
  });

  it('reads escaped type and role values', () => {
    const body = Buffer.from(`{"instructions":"${'x'.repeat(PEEK_MIN_BYTES)}","input":[{"type":"mess\\u0061ge","role":"\\u0075ser","content":"hi"}]}`);
    expect(classifyInitiator(exchangeWith(body))).toEqual({ initiator: 'user', reason: 'last-input-user-message' });
  });
});

import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { hasNoCustomTool, wrapCustomTools } from './wrap.js';

const log = pino({ level: 'silent' });
const tool = fc.oneof(
  fc.record({ type: fc.constantFrom('function', 'custom', 'web_search', 'namespace'), name: fc.constantFrom('apply_patch', 'shell', '', 'x') }),
  fc.record({ type: fc.jsonValue(), name: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);

describe('copilot-tools peek', () => {
  it('says "no custom tool" exactly when the body has none, and only for bodies the conversion leaves alone', () => {
    fc.assert(
      fc.property(fc.record({ model: fc.string(), tools: fc.oneof(fc.array(tool, { maxLength: 5 }), fc.jsonValue()), input: fc.array(fc.jsonValue(), { maxLength: 2 }) }, { requiredKeys: [] }), (body) => {
        const buf = Buffer.from(JSON.stringify(body));
        const hasCustom = Array.isArray(body.tools) && body.tools.some((t) => typeof t === 'object' && t !== null && !Array.isArray(t) && (t as { type?: unknown }).type === 'custom');
        expect(hasNoCustomTool(buf)).toBe(!hasCustom);
        // A refusal (say, two custom tools with one name) is the conversion acting on the body too.
        const acts = (() => {
          try {
            return wrapCustomTools(body, log) !== undefined;
          } catch {
            return true;
          }
        })();
        if (acts) expect(hasCustom).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('is unsure (so the body is parsed) when the body is not well-formed JSON', () => {
    expect(hasNoCustomTool(Buffer.from('{"tools": [{"type": "custom"'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { liveTurn } from './live.js';

// Chat Completions providers through the chat-translator presets, each served under /<preset>/v1. One request each.
// CCRX_LIVE_<PRESET>_BASE_URL points a preset elsewhere (a proxy, a compatible host).
const providers = [
  { preset: 'deepseek', keyEnv: 'DEEPSEEK_API_KEY', model: process.env.CCRX_LIVE_DEEPSEEK_MODEL || 'deepseek-chat', contextWindow: 65536 },
  { preset: 'openrouter', keyEnv: 'OPENROUTER_API_KEY', model: process.env.CCRX_LIVE_OPENROUTER_MODEL || 'openai/gpt-4o-mini', contextWindow: 128000 },
];

for (const p of providers) {
  const key = process.env[p.keyEnv];
  const baseUrl = process.env[`CCRX_LIVE_${p.preset.toUpperCase()}_BASE_URL`];
  describe.skipIf(!key)(`live: ${p.preset} (chat-translator preset)`, () => {
    it(`codex exec -m ${p.model} answers PONG`, async () => {
      const { run, answer, log } = await liveTurn({
        env: { [p.keyEnv]: key! },
        config: { plugins: [], providers: { [p.preset]: { plugins: [['chat-translator', { preset: p.preset, ...(baseUrl && { baseUrl }) }]] } } },
        path: `/${p.preset}`,
        model: p.model,
        contextWindow: p.contextWindow,
      });
      expect(answer, `${run.output}\n--- gateway ---\n${log}`).toMatch(/PONG/);
      expect(log).not.toContain(key!);
    });
  });
}

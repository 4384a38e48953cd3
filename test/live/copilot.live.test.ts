import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTokenFile, liveTurn } from './live.js';

// GitHub Copilot through the built-in default chain. Needs a token file written by `ccrx login`
// (CCRX_LIVE_COPILOT_TOKEN_FILE, copied first so the original is never rewritten) or a COPILOT_BEARER_TOKEN.
// One request with CCRX_LIVE_COPILOT_MODEL (default gpt-5-mini, which Copilot does not bill as premium).
const tokenFile = process.env.CCRX_LIVE_COPILOT_TOKEN_FILE;
const bearer = process.env.COPILOT_BEARER_TOKEN;
const model = process.env.CCRX_LIVE_COPILOT_MODEL || 'gpt-5-mini';

describe.skipIf(!tokenFile && !bearer)('live: GitHub Copilot (default chain)', () => {
  it(`codex exec -m ${model} answers PONG`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccrx-live-copilot-'));
    try {
      // The user's other COPILOT_* settings (an Enterprise host, versions…) go to the gateway as they would to `ccrx serve`.
      const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('COPILOT_') && e[1] !== undefined));
      if (bearer) env.COPILOT_BEARER_TOKEN = bearer;
      else env.COPILOT_TOKEN_FILE = copyTokenFile(tokenFile!, dir);
      const { run, answer, log } = await liveTurn({ env, model });
      expect(answer, `${run.output}\n--- gateway ---\n${log}`).toMatch(/PONG/);
      if (bearer) expect(log).not.toContain(bearer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

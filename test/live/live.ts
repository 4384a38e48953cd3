import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCatalog } from '../../src/index.js';
import { agentMessages, cleanupCodexHomes, runCodex, type CodexRun } from '../support/codex.js';
import { startServe } from '../support/serve.js';

/**
 * One real turn against a real provider: `ccrx serve` (child process) → real Codex `codex exec "reply with the word
 * PONG"`. Returns Codex's run and the gateway log. Costs one small request on the user's account.
 */
export interface LiveTurn {
  run: CodexRun;
  /** The agent messages Codex reported (`--json`), so the echoed prompt never counts as an answer. */
  answer: string;
  log: string;
}

export const PROMPT = 'Reply with the word PONG and nothing else.';

/** Runs the turn through a gateway with `env`; `config` (a JSON config) is written to a temp dir when given. */
export async function liveTurn(o: { env: Record<string, string>; config?: object; path?: string; model: string; contextWindow?: number }): Promise<LiveTurn> {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-live-'));
  try {
    const args: string[] = [];
    if (o.config) {
      writeFileSync(join(dir, 'router.config.json'), JSON.stringify(o.config));
      args.push('--config', join(dir, 'router.config.json'));
    }
    const gw = await startServe({ env: o.env, args });
    try {
      const run = await runCodex({
        baseUrl: `${gw.url}${o.path ?? ''}/v1`,
        model: o.model,
        catalog: buildCatalog([{ slug: o.model, contextWindow: o.contextWindow ?? 128000 }]),
        prompt: PROMPT,
        sandbox: 'read-only',
        args: ['--json'],
        timeoutMs: 150_000,
      });
      return { run, answer: agentMessages(run.stdout).join('\n'), log: gw.log() };
    } finally {
      await gw.stop();
    }
  } finally {
    cleanupCodexHomes();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A copy of the user's token file in `dir`: the gateway may refresh and rewrite it, never the original. */
export function copyTokenFile(file: string, dir: string): string {
  const copy = join(dir, 'copilot-tokens.json');
  copyFileSync(file, copy);
  return copy;
}

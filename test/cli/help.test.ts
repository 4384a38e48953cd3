import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'ccrx.js');
// No CI/TEST variables: citty itself turns colours off under them, which would hide what a user's pipe gets.
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...extra });
const ESC = '\u001b[';

describe('ccrx --help', () => {
  it('prints no colour codes into a pipe', async () => {
    for (const args of [['--help'], ['codex-config', '--help']]) {
      const r = await runChild(process.execPath, [bin, ...args], env(), 20_000);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('USAGE');
      expect(r.stdout).not.toContain(ESC);
    }
  });

  it('honours NO_COLOR over FORCE_COLOR, and FORCE_COLOR colours a pipe on purpose', async () => {
    const forced = await runChild(process.execPath, [bin, '--help'], env({ FORCE_COLOR: '1' }), 20_000);
    expect(forced.stdout).toContain(ESC);
    const none = await runChild(process.execPath, [bin, '--help'], env({ FORCE_COLOR: '1', NO_COLOR: 'yes' }), 20_000);
    expect(none.stdout).not.toContain(ESC);
    expect(none.stdout).toContain('USAGE');
  });
});

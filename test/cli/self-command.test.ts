import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/cli/self-command.js';
import { runChild } from '../support/child.js';
import { freePort } from '../support/ports.js';

const root = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
const bin = join(root, 'bin', 'ccrx.js');
let dir: string;
/** As `npx ccrx` in a clone leaves it: npm's npx cache links the clone and puts its .bin first on PATH. */
let npxBin: string;
/** As `npm install -g` leaves it: `<prefix>/bin/ccrx` → the installed package's bin/ccrx.js. */
let globalBin: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ccrx-self-command-'));
  const npx = join(dir, 'npm-cache', '_npx', '0123abcd', 'node_modules');
  mkdirSync(join(npx, '.bin'), { recursive: true });
  symlinkSync(root, join(npx, 'codex-code-router'));
  symlinkSync(join(npx, 'codex-code-router', 'bin', 'ccrx.js'), join(npx, '.bin', 'ccrx'));
  npxBin = join(npx, '.bin');
  globalBin = join(dir, 'prefix', 'bin');
  mkdirSync(globalBin, { recursive: true });
  symlinkSync(bin, join(globalBin, 'ccrx'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `ccrx codex-config` for the built-in Copilot chain (no token: the model comes from --model), through `script`. */
async function authCommand(script: string, path: string): Promise<{ command: string; args: string[] }> {
  const home = join(dir, `home-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home);
  const env = { PATH: path, HOME: home, CODEX_HOME: join(home, '.codex'), PORT: String(await freePort()), COPILOT_TOKEN_FILE: join(home, 'none.json'), COPILOT_MODELS_URL: 'http://127.0.0.1:9/models', COPILOT_QUOTA_URL: 'http://127.0.0.1:9/quota' };
  const r = await runChild(process.execPath, [script, 'codex-config', '--model', 'gpt-5.2-codex'], env, 30_000, { cwd: home });
  expect(r.code, r.stderr).toBe(0);
  const toml = parse(r.stdout) as { model_providers: Record<string, { auth: { command: string; args: string[] } }> };
  return toml.model_providers.ccrx!.auth;
}

describe("codex-config's auth command", () => {
  it('run through npx, it names the clone, never the npx cache', async () => {
    const auth = await authCommand(join(npxBin, 'ccrx'), [npxBin, join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter));
    expect(auth.command).toBe(process.execPath);
    expect(auth.args).toEqual([bin, 'print-token']);
    expect(JSON.stringify(auth)).not.toContain('_npx');
  }, 40_000);

  it('names `ccrx` when a ccrx on PATH is this package (a global install)', async () => {
    const auth = await authCommand(join(npxBin, 'ccrx'), [npxBin, globalBin, process.env.PATH].join(delimiter));
    expect(auth).toMatchObject({ command: 'ccrx', args: ['print-token'] });
  }, 40_000);

  it('refuses to name a copy that lives only in the npx cache', () => {
    const copy = join(dir, 'npm-cache', '_npx', 'feed', 'node_modules', 'codex-code-router');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    cpSync(bin, join(copy, 'bin', 'ccrx.js'));
    expect(() => selfCommand({ env: { PATH: npxBin }, root: copy })).toThrow(/npx cache .*install it .* or run it from a clone/);
    expect(selfCommand({ env: { PATH: [npxBin, globalBin].join(delimiter) }, root: copy })).toEqual(['ccrx']);
  });
});

import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { USER_TOML } from '../../test/support/codex-toml.js';
import { tempDir } from '../testing/temp.js';
import { commitCodexToml, ConfigTomlError, diffCodexToml, editCodexToml, prepareCodexToml, type CodexTomlPlan } from './config-toml.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const plan: CodexTomlPlan = {
  providers: {
    'ccrx-deepseek': {
      name: 'codex-code-router (deepseek)',
      base_url: 'http://127.0.0.1:60001/deepseek/v1',
      wire_api: 'responses',
      supports_websockets: false,
      request_max_retries: 4,
      stream_max_retries: 5,
      stream_idle_timeout_ms: 60000,
      env_http_headers: { 'x-ccrx-api-key': 'CCRX_API_KEY' },
    },
    ccrx: {
      name: 'codex-code-router',
      base_url: 'http://127.0.0.1:60001/v1',
      wire_api: 'responses',
      supports_websockets: false,
      auth: { command: '/usr/bin/node', args: ['/opt/ccrx/bin/ccrx.js', 'print-token'], refresh_interval_ms: 240000 },
    },
  },
  catalogPath: '/home/me/.codex/ccrx-model-catalog.json',
  defaultProvider: 'ccrx-deepseek',
  model: 'deepseek-chat',
};

/** Every line of `original` appears in `edited`, in order (the edit only inserts lines or changes values we own). */
function keptLines(original: string, edited: string, except: RegExp[] = []): void {
  const lines = edited.split('\n');
  let at = 0;
  for (const line of original.split('\n')) {
    if (except.some((re) => re.test(line))) continue;
    const found = lines.indexOf(line, at);
    expect(found, `line kept: ${line}`).toBeGreaterThanOrEqual(at);
    at = found + 1;
  }
}

describe('editCodexToml', () => {
  it('adds our providers and top-level keys, keeping every comment and foreign setting byte for byte', () => {
    const edit = editCodexToml(USER_TOML, plan);
    expect(edit.changed).toBe(true);
    // The user had no model_provider (Codex's default, openai): ours becomes the default, and `model` follows it.
    keptLines(USER_TOML, edit.after, [/^model = "gpt-5.4"/]);
    expect(edit.after).toContain('model = "deepseek-chat" # my favourite\n');
    const toml = parse(edit.after) as any;
    expect(toml.model_catalog_json).toBe(plan.catalogPath);
    expect(toml.model_provider).toBe('ccrx-deepseek');
    expect(toml.model).toBe('deepseek-chat');
    expect(toml.model_providers['ccrx-deepseek']).toEqual(plan.providers['ccrx-deepseek']);
    expect(toml.model_providers.ccrx).toEqual(plan.providers.ccrx);
    expect(toml.model_providers['ollama-local']).toEqual({ name: 'Ollama', base_url: 'http://localhost:11434/v1' });
    expect(toml.profiles.fast).toEqual({ model: 'gpt-5.4-mini', model_reasoning_effort: 'low' });
    expect(toml.mcp_servers.docs.args).toEqual(['-y', 'docs-mcp']);
    // New providers are readable sections, not one-line dotted keys at the top.
    expect(edit.after).toMatch(/^\[model_providers\.ccrx-deepseek\]$/m);
    expect(edit.after).toMatch(/^\[model_providers\.ccrx\.auth\]$/m);
    // New top-level keys follow the last top-level key (not under the comment that introduces the first table).
    expect(edit.after).toContain('approval_policy = "on-request"\nmodel_provider = "ccrx-deepseek"\nmodel_catalog_json = "/home/me/.codex/ccrx-model-catalog.json"\n\n# Local models\n[model_providers.ollama-local]\n');
    expect(edit.changes).toEqual(expect.arrayContaining(['added [model_providers.ccrx-deepseek]', 'added [model_providers.ccrx]', 'model = "deepseek-chat" (was "gpt-5.4")']));
  });

  it('is a no-op on its own output', () => {
    const once = editCodexToml(USER_TOML, plan).after;
    const twice = editCodexToml(once, plan);
    expect(twice.changed).toBe(false);
    expect(twice.after).toBe(once);
    expect(twice.changes).toEqual([]);
  });

  it('keeps a model_provider the user chose unless asked, and says so', () => {
    const mine = `model_provider = "openai"\nmodel = "gpt-5.4"\n${USER_TOML.split('\n').slice(3).join('\n')}`;
    const kept = editCodexToml(mine, plan);
    expect((parse(kept.after) as any).model_provider).toBe('openai');
    expect((parse(kept.after) as any).model).toBe('gpt-5.4');
    expect(kept.notes.join('\n')).toContain('kept model_provider = "openai"; pass --set-default');
    const switched = editCodexToml(mine, { ...plan, setDefault: true });
    expect(parse(switched.after)).toMatchObject({ model_provider: 'ccrx-deepseek', model: 'deepseek-chat' });
  });

  it('updates an existing block in place: stale port fixed, its comments, extra keys and tuned values kept', () => {
    const existing = `model_provider = "ccrx-deepseek"
model_catalog_json = "/home/me/.codex/ccrx-model-catalog.json"

[model_providers.ccrx-deepseek]
# my gateway -- keep me
name = "my router" # renamed on purpose
base_url = "http://127.0.0.1:3456/deepseek/v1" # old port
wire_api = "responses"
supports_websockets = false
request_max_retries = 1 # I want fewer retries
stream_max_retries = 5
stream_idle_timeout_ms = 60000
http_headers = { "x-team" = "blue" }

[model_providers.ccrx-deepseek.env_http_headers]
x-ccrx-api-key = "CCRX_API_KEY"
x-other = "OTHER_ENV"

[model_providers.ccrx]
name = "codex-code-router"
base_url = "http://127.0.0.1:60001/v1"
wire_api = "responses"
supports_websockets = false
auth = { command = "/usr/bin/node", args = ["/opt/ccrx/bin/ccrx.js", "print-token"], refresh_interval_ms = 240000 }
`;
    const edit = editCodexToml(existing, plan);
    expect(edit.changes).toEqual(['updated [model_providers.ccrx-deepseek]']);
    keptLines(existing, edit.after, [/old port/]);
    expect(edit.after).toContain('base_url = "http://127.0.0.1:60001/deepseek/v1" # old port');
    const table = (parse(edit.after) as any).model_providers['ccrx-deepseek'];
    expect(table).toMatchObject({ name: 'my router', request_max_retries: 1, http_headers: { 'x-team': 'blue' }, env_http_headers: { 'x-ccrx-api-key': 'CCRX_API_KEY', 'x-other': 'OTHER_ENV' } });
    // Exactly one line differs.
    expect(edit.after.split('\n').filter((l, i) => l !== existing.split('\n')[i])).toEqual(['base_url = "http://127.0.0.1:60001/deepseek/v1" # old port']);
  });

  it('extends model_providers written as an inline table, keeping it valid', () => {
    const inline = '# inline style\nmodel_providers = { mine = { name = "Mine", base_url = "http://x/v1" } }\n';
    const edit = editCodexToml(inline, plan);
    const toml = parse(edit.after) as any;
    expect(toml.model_providers.mine).toEqual({ name: 'Mine', base_url: 'http://x/v1' });
    expect(toml.model_providers.ccrx.auth.args).toEqual(['/opt/ccrx/bin/ccrx.js', 'print-token']);
    expect(edit.after.startsWith('# inline style\n')).toBe(true);
  });

  it('places top-level keys above the comments that lead into the first table when there are none yet', () => {
    const after = editCodexToml('# top\n\n# Local models\n[tui]\nx = 1\n', plan).after;
    expect(after.startsWith('# top\n\nmodel_provider = "ccrx-deepseek"\nmodel = "deepseek-chat"\nmodel_catalog_json = "/home/me/.codex/ccrx-model-catalog.json"\n\n# Local models\n[tui]\nx = 1\n')).toBe(true);
  });

  it('keeps a byte-order mark and a missing final newline', () => {
    const after = editCodexToml('\uFEFF# bom\n[t]\nb = 1\n', plan).after;
    expect(after.startsWith('\uFEFF# bom\nmodel_provider')).toBe(false); // the comment leads into [t]
    expect(after.startsWith('\uFEFFmodel_provider = "ccrx-deepseek"\n')).toBe(true);
    expect(parse(after.slice(1))).toMatchObject({ t: { b: 1 }, model_provider: 'ccrx-deepseek' });
    const bare = editCodexToml('a = 1', plan).after;
    expect(bare.startsWith('a = 1\nmodel_provider = "ccrx-deepseek"\n')).toBe(true);
  });

  it('keeps CRLF line endings', () => {
    const crlf = USER_TOML.replace(/\n/g, '\r\n');
    const after = editCodexToml(crlf, plan).after;
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect((parse(after) as any).model_providers.ccrx.wire_api).toBe('responses');
  });

  it('refuses a file that does not parse, naming the line', () => {
    const broken = 'model = "gpt-5.4"\n[model_providers.x\nname = "x"\n';
    expect(() => editCodexToml(broken, plan, '/home/me/.codex/config.toml')).toThrow(ConfigTomlError);
    expect(() => editCodexToml(broken, plan, '/home/me/.codex/config.toml')).toThrow(/\/home\/me\/\.codex\/config\.toml is not valid TOML, so it was left untouched[\s\S]*2:/);
  });

  it('creates a file from nothing', () => {
    const edit = editCodexToml(undefined, plan);
    expect(parse(edit.after)).toMatchObject({ model_provider: 'ccrx-deepseek', model: 'deepseek-chat', model_catalog_json: plan.catalogPath });
    expect(editCodexToml(edit.after, plan).changed).toBe(false);
  });
});

describe('prepareCodexToml / commitCodexToml / diffCodexToml', () => {
  it('backs up only on change, keeps the mode, and writes nothing on a no-op', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.toml');
    writeFileSync(file, USER_TOML);
    chmodSync(file, 0o640);
    const edit = prepareCodexToml(file, plan);
    expect(diffCodexToml(edit)).toMatch(/^\+\[model_providers\.ccrx-deepseek\]$/m);
    expect(readFileSync(file, 'utf8')).toBe(USER_TOML);
    const { backup } = await commitCodexToml(edit, new Date('2025-06-01T10:20:30.456Z'));
    expect(backup).toBe(`${file}.bak-20250601T102030Z`);
    expect(readFileSync(backup!, 'utf8')).toBe(USER_TOML);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readFileSync(file, 'utf8')).toBe(edit.after);

    const again = prepareCodexToml(file, plan);
    expect(again.changed).toBe(false);
    expect(diffCodexToml(again)).toBe('');
    expect(await commitCodexToml(again)).toEqual({});
    expect(readdirSync(dir).filter((f) => f.includes('.bak-'))).toHaveLength(1);

    // A second change in the same second does not overwrite the first backup.
    const moved = prepareCodexToml(file, { ...plan, catalogPath: '/elsewhere.json' });
    const second = await commitCodexToml(moved, new Date('2025-06-01T10:20:30.999Z'));
    expect(second.backup).toBe(`${file}.bak-20250601T102030Z-2`);
  });

  it('creates a missing file (and its directory) privately', async () => {
    const file = join(tempDir(), 'new-home', 'config.toml');
    const edit = prepareCodexToml(file, plan);
    expect(edit.before).toBeUndefined();
    expect(diffCodexToml(edit)).toContain('--- /dev/null');
    expect(await commitCodexToml(edit)).toEqual({});
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((parse(readFileSync(file, 'utf8')) as any).model_providers.ccrx.base_url).toBe('http://127.0.0.1:60001/v1');
  });
});

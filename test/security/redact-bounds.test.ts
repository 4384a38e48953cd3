import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { redactCut, redactText } from '../../src/index.js';
import { sendJson, startMockUpstream } from '../support/mock-upstream.js';
import { startServe, type ServedGateway } from '../support/serve.js';
import { tempDir } from '../support/temp.js';
import { inWorker, repeated, stopWorkers } from '../support/worker.js';

// The value patterns see text from requests (a model name, an upstream's echo of it). Each worst case below took the
// old backtracking patterns time quadratic in its length (2.4 s at 64 KiB: minutes at 1 MiB). Nothing is timed: the
// work runs in a worker thread or a gateway child process, and a quadratic pattern simply does not finish inside the
// default test timeout (20 s; linear work takes well under a second here).

const MiB = 1024 * 1024;
const redact = new URL('../../src/redact/index.ts', import.meta.url);

/** Inputs that make a backtracking regex retry a long run from every position of it. */
const WORST: [name: string, unit: string][] = [
  ['JWT prefixes (eyJ-…)', 'eyJ-'],
  ['JWT with dots but no second part (eyJaaaaa.…)', 'eyJaaaaa.'],
  ['Copilot fields without a semicolon (tid=…)', 'tid='],
  ['Copilot exp fields (exp=a…)', 'exp=a'],
  ['a bearer scheme without a credential', 'Bearer  '],
  ['escaped quotes in JSON that cannot be parsed (\\"…)', '\\"'],
  ['keys without values ("a":…)', '"a":'],
];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stopWorkers();
  while (cleanup.length) await cleanup.pop()!();
});

describe('redaction does work linear in its input', () => {
  it.each(WORST)('redactText, redactJsonText and containsSecret finish on 1 MiB of %s', async (_name, unit) => {
    const input = repeated(unit, Math.ceil(MiB / unit.length));
    const [text, json, found] = await Promise.all([
      inWorker<string>(redact, 'redactText', [input]),
      inWorker<string>(redact, 'redactJsonText', [input]),
      inWorker<boolean>(redact, 'containsSecret', [input]),
    ]);
    expect(text.length).toBeGreaterThan(0);
    expect(json.length).toBeGreaterThan(0);
    expect(found).toBeTypeOf('boolean');
  });

  it('still finds a real secret at the end of a worst-case run', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const copilot = 'tid=0123abcd;exp=1760000000;sku=copilot_for_business;8kp=1:4f2e9c0d';
    expect(await inWorker<string>(redact, 'redactText', [repeated('eyJ-', MiB / 4, ` ${jwt}`)])).not.toContain(jwt);
    expect(await inWorker<string>(redact, 'redactText', [repeated('tid=', MiB / 4, ` ${copilot}`)])).not.toContain(copilot);
    expect(redactText(`key ${jwt} and ${copilot}`)).toBe('key <redacted> and <redacted>');
  });

  it('cuts before redacting, with a margin: a secret across the cut is still recognised, a long tail is never read', async () => {
    const secret = 'ghp_1111aaaa2222bbbb3333cccc';
    const cut = await inWorker<string>(redact, 'redactCut', [repeated('x', 1, `${'x'.repeat(88)} ${secret} ${'eyJ-'.repeat(MiB / 4)}`), 96]);
    expect(cut).toBe(`${'x'.repeat(89)} <redac…`);
    expect(redactCut('short', 96)).toBe('short');
  });
});

describe('a long model name through the gateway', () => {
  it.each([['eyJ-'], ['tid=']])('a 1 MiB model of %s reaches the error text and the diagnostics, and the answer comes back', async (unit) => {
    // The upstream echoes the model (as much as fits in an error body), as a model_not_supported message does.
    const mock = await startMockUpstream((req, res) => {
      const asked = (JSON.parse(req.body.toString('utf8')) as { model: string }).model.slice(0, 32 * 1024);
      sendJson(res, 400, { error: { message: `The requested model ${asked} is not supported`, code: 'model_not_supported' } });
    });
    cleanup.push(() => mock.close());
    const dir = tempDir('ccrx-redact-bounds-');
    const file = join(dir, 'diag.jsonl');
    const config = join(dir, 'router.config.mjs');
    await writeFile(config, `export default { plugins: [['chat-translator', { baseUrl: ${JSON.stringify(`${mock.url}/v1`)}, apiKey: 'k' }], ['raw-diagnostics', { level: 'full_content', file: ${JSON.stringify(file)} }]] };\n`);
    const gw: ServedGateway = await startServe({ args: ['--config', config] });
    cleanup.push(async () => {
      gw.child.kill('SIGKILL');
      await gw.stop();
    });

    const model = unit.repeat(MiB / unit.length);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, stream: true, input: 'hi' }) });
    // A final error Codex maps arrives in-stream (docs/errors.md): a response.failed carrying the provider's words.
    expect(res.status).toBe(200);
    const sse = (await res.text()).split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; response?: { error?: { message: string } } });
    expect(sse.map((e) => e.type)).toEqual(['response.created', 'response.failed']);
    expect(sse[1]!.response!.error!.message).toContain('upstream HTTP 400: The requested model');
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect(await gw.stop()).toBe(0);
    const events = (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { kind: string; fields: Record<string, unknown> });
    const end = events.find((e) => e.kind === 'exchange_error')!;
    expect((end.fields.error as string).length).toBeLessThanOrEqual(257);
  });
});

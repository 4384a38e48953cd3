import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import authTokenFile from '../../src/plugins/auth-copilot-tokenfile/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import refresh401 from '../../src/plugins/refresh-401/index.js';
import { sendJson, startMockUpstream, type MockHandler, type MockUpstream } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

export const copilotPlugins = [copilotUpstream, headerInjector, authEnvBearer, authTokenFile, refresh401];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

export function onCleanup(fn: () => Promise<void>): void {
  cleanup.push(fn);
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ccrx-copilot-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function mock(handler: MockHandler): Promise<MockUpstream> {
  const m = await startMockUpstream(handler);
  onCleanup(() => m.close());
  return m;
}

/** A token endpoint that mints `fresh-<n>` tokens, optionally with an account API host. */
export async function tokenEndpoint(o: { api?: string; status?: number; delayMs?: number; expiresIn?: number } = {}): Promise<MockUpstream> {
  return mock(async (_req, res, index) => {
    if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
    if (o.status && o.status !== 200) return sendJson(res, o.status, { message: 'Bad credentials' });
    sendJson(res, 200, {
      token: `fresh-copilot-${index + 1}`,
      expires_at: Math.floor(Date.now() / 1000) + (o.expiresIn ?? 1800),
      refresh_in: 1500,
      ...(o.api && { endpoints: { api: o.api } }),
    });
  });
}

export async function writeJson(path: string, value: unknown): Promise<string> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path, text, { mode: 0o600 });
  return text;
}

export const nowS = () => Math.floor(Date.now() / 1000);

/** The five Copilot plugins on a gateway, configured through `env` like `ccrx serve` would be. */
export async function gateway(env: Record<string, string | undefined>): Promise<StartedRouter> {
  const gw = await startRouter({ plugins: copilotPlugins }, { env });
  onCleanup(() => gw.close());
  return gw;
}

export function upstreamEnv(upstream: MockUpstream): Record<string, string> {
  return { COPILOT_RESPONSES_URL: `${upstream.url}/responses`, COPILOT_MODELS_URL: `${upstream.url}/models` };
}

export async function postResponses(gw: StartedRouter, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.url}/v1/responses`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

import { request } from 'undici';
import { copilotClientHeaders, CopilotTokenStore, resolveTokenFilePath, stripBearer, type Logger } from '../../index.js';
import { parseCopilotModels, type CopilotModel } from './models.js';
import type { CopilotModelsOptions } from './schema.js';

const PUBLIC_API_HOST = 'api.githubcopilot.com';

/**
 * Fetches Copilot's `/models` outside any exchange, with the credential the chain's auth plugins would use (the
 * env token, else the token file through the shared token store) and header-injector's default header values.
 * Not a request through the chain: it must work before the first Codex request and must not bill anything.
 */
export function createModelsLoader(options: CopilotModelsOptions, log: Logger): () => Promise<CopilotModel[]> {
  const envToken = stripBearer(options.token);
  const store = envToken
    ? undefined
    : CopilotTokenStore.shared({
        path: resolveTokenFilePath(options.tokenFile),
        expiryBufferSeconds: options.tokenExpiryBufferSeconds,
        refresh: options.tokenRefresh,
        tokenUrl: options.tokenUrl,
        chatVersion: options.chatVersion,
        editorVersion: options.editorVersion,
        timeoutMs: options.timeoutMs,
        log,
      });
  const configured = new URL(options.modelsUrl);
  return async () => {
    let token = envToken;
    let url = configured;
    if (store) {
      const got = await store.get();
      token = got.token;
      if (options.accountEndpoint && got.apiBase && configured.protocol === 'https:' && configured.hostname === PUBLIC_API_HOST) url = new URL(`${got.apiBase}${configured.pathname}`);
    }
    const res = await request(url, {
      method: 'GET',
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        'copilot-integration-id': options.integrationId,
        ...copilotClientHeaders(options),
        'x-github-api-version': options.githubApiVersion,
      },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${url.host}${url.pathname} answered HTTP ${res.statusCode}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`GET ${url.host}${url.pathname} did not answer JSON`);
    }
    return parseCopilotModels(body);
  };
}

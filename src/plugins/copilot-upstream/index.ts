import { definePlugin } from '../../index.js';
import { schema, type CopilotUpstreamOptions } from './schema.js';

/**
 * Points each route at GitHub Copilot: `/v1/responses` → `responsesUrl`, `/v1/models` → `modelsUrl`, used exactly as
 * configured (the inbound query string is not forwarded, like the original). Copilot keeps its own responses, so
 * `/v1/responses/{id}` and `/v1/responses/{id}/input_items` go to `responsesUrl/{id}` and `responsesUrl/{id}/input_items`,
 * with the inbound query (the list's paging). A Business/Enterprise account is routed to its own API host by
 * auth-copilot-tokenfile when these stay on the public host.
 */
export default definePlugin<CopilotUpstreamOptions>({
  name: 'copilot-upstream',
  schema,
  env: { responsesUrl: 'COPILOT_RESPONSES_URL', modelsUrl: 'COPILOT_MODELS_URL' },
  apply({ hooks }, options) {
    const responses = parseUrl(options.responsesUrl, 'responsesUrl');
    const models = parseUrl(options.modelsUrl, 'modelsUrl');
    hooks.request.tap('copilot-upstream', (ex) => {
      const { route, responseId, query } = ex.inbound;
      if (route === 'responses' || route === 'models') {
        ex.upstream.url = new URL((route === 'models' ? models : responses).href);
        return undefined;
      }
      const url = new URL(responses.href);
      url.pathname = `${url.pathname.replace(/\/$/, '')}/${encodeURIComponent(responseId ?? '')}${route === 'input-items' ? '/input_items' : ''}`;
      url.search = query.toString();
      ex.upstream.url = url;
      return undefined;
    });
  },
});

function parseUrl(value: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${option} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${option} must be an http(s) URL`);
  return url;
}

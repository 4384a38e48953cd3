import { definePlugin } from '../../index.js';
import { schema, type CopilotUpstreamOptions } from './schema.js';

/**
 * Points each route at GitHub Copilot: `/v1/responses` → `responsesUrl`, `/v1/models` → `modelsUrl`. The URL is used
 * exactly as configured (the inbound query string is not forwarded, like the original). A Business/Enterprise
 * account is routed to its own API host by auth-copilot-tokenfile when these stay on the public host.
 */
export default definePlugin<CopilotUpstreamOptions>({
  name: 'copilot-upstream',
  schema,
  env: { responsesUrl: 'COPILOT_RESPONSES_URL', modelsUrl: 'COPILOT_MODELS_URL' },
  apply({ hooks }, options) {
    const urls = { responses: parseUrl(options.responsesUrl, 'responsesUrl'), models: parseUrl(options.modelsUrl, 'modelsUrl') };
    hooks.request.tap('copilot-upstream', (ex) => {
      ex.upstream.url = new URL(urls[ex.inbound.route].href);
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

// @ts-check
import { definePlugin, GatewayError } from 'codex-code-router';

const NAME = 'model-alias';

/**
 * @typedef {object} Options
 * @property {Record<string, string>} aliases Codex model name → upstream model name. @default {}
 * @property {boolean} strict Refuse models that are not aliases. @default false
 */

/** @type {import('codex-code-router').Plugin<Options>} */
const plugin = {
  name: NAME,
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      aliases: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, default: {}, description: 'Codex model name → upstream model name.' },
      strict: { type: 'boolean', default: false, description: 'Answer 400 for a model that is not an alias.' },
    },
  },
  env: { strict: 'MODEL_ALIAS_STRICT' },
  apply({ hooks, log }, { aliases, strict }) {
    // Inert when there is nothing to do: tapping nothing keeps the request path free of this plugin.
    if (Object.keys(aliases).length === 0 && !strict) return;
    hooks.request.tap(NAME, (exchange) => {
      if (exchange.inbound.route !== 'responses') return undefined;
      const body = /** @type {{ model?: string }} */ (exchange.inbound.json());
      const target = body.model === undefined ? undefined : aliases[body.model];
      if (target === undefined) {
        if (strict) throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'model_not_found', message: `unknown model ${body.model}; use one of ${Object.keys(aliases).join(', ')}` });
        return undefined;
      }
      exchange.log.debug({ from: body.model, to: target }, 'model alias');
      exchange.upstream.body = Buffer.from(JSON.stringify({ ...body, model: target }));
      return undefined;
    });
    log.info({ aliases: Object.keys(aliases).length }, 'model aliases loaded');
  },
};

export default definePlugin(plugin);

import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { definePlugin, requestModel, Stage, type Exchange } from '../../index.js';
import { CompletedScanner } from './scanner.js';
import { schema, type MetricsOptions } from './schema.js';

export type { MetricsOptions } from './schema.js';
export { CompletedScanner } from './scanner.js';

const NAME = 'metrics';
const SCANNER = Symbol('metrics.scanner');

/**
 * Prometheus metrics on `GET <prefix>/metrics`. Off the hot path by design: no stream hooks (the kernel keeps piping
 * bytes), a marker scan of the bytes sent to Codex for `response.completed` usage, and the rest from `exchangeEnd`.
 */
export default definePlugin<MetricsOptions>({
  name: NAME,
  schema,
  apply(api, options) {
    const registry = new Registry();
    if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: options.prefix });
    const p = options.prefix;
    const registers = [registry];
    const requests = new Counter({ name: `${p}requests_total`, help: 'Requests answered, by provider chain, route, model, HTTP status and outcome.', labelNames: ['provider', 'route', 'model', 'status', 'outcome'], registers });
    const duration = new Histogram({ name: `${p}request_duration_seconds`, help: 'Time from request to the end of the answer.', labelNames: ['provider', 'route', 'model'], buckets: options.buckets, registers });
    const ttfb = new Histogram({ name: `${p}time_to_first_byte_seconds`, help: 'Time from request to the first byte written to Codex.', labelNames: ['provider', 'route', 'model'], buckets: options.buckets, registers });
    const upstream = new Histogram({ name: `${p}upstream_response_seconds`, help: 'Time from request to each upstream response head (every attempt).', labelNames: ['provider', 'status'], buckets: options.buckets, registers });
    const retries = new Counter({ name: `${p}retries_total`, help: 'Upstream attempts beyond the first (401 refreshes, 429 waits, ...).', labelNames: ['provider', 'model'], registers });
    const tokens = new Counter({ name: `${p}tokens_total`, help: 'Tokens reported by response.completed usage.', labelNames: ['provider', 'model', 'type'], registers });
    const initiator = new Counter({ name: `${p}copilot_requests_total`, help: 'Upstream Copilot requests by x-initiator: user (premium) or agent.', labelNames: ['provider', 'model', 'initiator'], registers });

    const models = new Set<string>();
    const label = (model: string | undefined) => {
      if (!model) return '';
      if (models.has(model)) return model;
      // The name comes from the request: one that no model could have must not become a label of any length.
      if (!isModelName(model)) return 'other';
      if (models.size >= options.maxModels) return 'other';
      models.add(model);
      return model;
    };

    api.addRoute({
      method: 'GET',
      path: options.path,
      handle: async () => ({ status: 200, headers: { 'content-type': registry.contentType }, body: await registry.metrics() }),
    });

    // Observes every attempt, including ones a later plugin replays: a guard-stage tap that never bails.
    api.hooks.upstreamResponse.tap({ name: NAME, stage: Stage.Guard, observer: true }, (ex, response) => {
      upstream.observe({ provider: ex.provider, status: String(response.status) }, response.elapsedMs / 1000);
      return undefined;
    });

    api.hooks.responseBytes.tap(NAME, (chunk, ex) => {
      if (ex.inbound.route !== 'responses') return;
      let scanner = ex.state.get(SCANNER) as CompletedScanner | undefined;
      if (!scanner) ex.state.set(SCANNER, (scanner = new CompletedScanner()));
      scanner.push(chunk);
    });

    api.hooks.exchangeEnd.tap({ name: NAME, stage: Stage.Observe }, (ex, summary) => {
      const model = label(modelOf(ex));
      const route = ex.inbound.route;
      const base = { provider: ex.provider, route, model };
      requests.inc({ ...base, status: String(summary.status), outcome: summary.outcome });
      duration.observe(base, summary.durationMs / 1000);
      if (summary.firstByteMs !== undefined) ttfb.observe(base, summary.firstByteMs / 1000);
      if (summary.attempts > 1) retries.inc({ provider: ex.provider, model }, summary.attempts - 1);
      const sent = ex.upstream.headers['x-initiator'];
      if (sent && summary.attempts > 0) initiator.inc({ provider: ex.provider, model, initiator: sent });
      const usage = (ex.state.get(SCANNER) as CompletedScanner | undefined)?.usage;
      if (usage) {
        for (const [type, count] of Object.entries(usage)) if (count > 0) tokens.inc({ provider: ex.provider, model, type }, count);
      }
    });
  },
});

/** Longest model label; real ids (`accounts/fireworks/models/llama-v3p1-405b-instruct`) are far shorter. */
const MAX_MODEL_LABEL_CHARS = 128;
const MODEL_NAME = /^[\w.:/@+-]+$/;

/** Whether `model` looks like a model id: up to 128 letters, digits and `_ . : / @ + -`. */
function isModelName(model: string): boolean {
  return model.length <= MAX_MODEL_LABEL_CHARS && MODEL_NAME.test(model);
}

/** The model Codex asked for; a body that is not JSON just has none here (other plugins report that). */
function modelOf(ex: Exchange): string | undefined {
  if (ex.inbound.route !== 'responses') return undefined;
  try {
    return requestModel(ex.inbound);
  } catch {
    return undefined;
  }
}

import { definePlugin } from '../../index.js';
import { schema, type Refresh401Options } from './schema.js';

const REPLAYED = Symbol('refresh-401');

/**
 * When the upstream rejects a refreshable credential (401, or an Enterprise 403 after the token's expiry), replays
 * the request once with fresh credentials: the kernel resends the same body bytes and calls `authorize` with
 * `force`. A second rejection goes to Codex unchanged; env and inbound tokens are never replayed.
 */
export default definePlugin<Refresh401Options>({
  name: 'refresh-401',
  schema,
  apply({ hooks }, options) {
    hooks.upstreamResponse.tapPromise('refresh-401', async (ex, res) => {
      const credential = ex.credential;
      if (!credential?.refreshable || ex.state.has(REPLAYED)) return undefined;
      const expired = credential.expiresAt !== undefined && credential.expiresAt * 1000 <= Date.now();
      const rejected = res.status === 401 || (options.expired403 && res.status === 403 && expired);
      if (!rejected) return undefined;
      ex.state.set(REPLAYED, true);
      ex.log.warn({ status: res.status, source: credential.source, attempt: ex.attempt }, 'upstream rejected the Copilot token; refreshing it and retrying once');
      return { replay: { reason: 'unauthorized', refreshCredentials: true } };
    });
  },
});

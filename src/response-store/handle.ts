import type { KernelExchange } from '../core/exchange.js';
import type { ResponseStoreHandle } from '../core/types.js';
import type { ResponseStore } from './store.js';

/** A chain's view of the store: responses are kept and found under the chain's name only. */
export function chainHandle(store: ResponseStore, chain: string): ResponseStoreHandle {
  return {
    get enabled() {
      return store.enabled;
    },
    wants: (body) => store.wants(body),
    prepare(exchange, body) {
      const { body: expanded, keep } = store.expand(chain, body);
      if (keep) (exchange as KernelExchange).keepResponse = (response) => store.keep(keep, response);
      return expanded;
    },
  };
}

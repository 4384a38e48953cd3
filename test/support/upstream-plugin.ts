import { definePlugin, type Plugin } from '../../src/index.js';
import type { MockUpstream } from './mock-upstream.js';

/** The smallest useful plugin: sends each route to the mock's `/responses` or `/models`. */
export function upstreamTo(mock: MockUpstream): Plugin {
  return definePlugin({
    name: 'test-upstream',
    apply({ hooks }) {
      hooks.request.tapPromise('test-upstream', async (ex) => {
        ex.upstream.url = new URL(ex.inbound.route === 'models' ? '/models' : '/responses', mock.url);
        return undefined;
      });
    },
  });
}

/**
 * Test kit for plugin authors (`import { startRouter, startMockUpstream } from 'codex-code-router/testing'`):
 * real loopback servers, no mocks of the gateway itself.
 */
export * from './mock-upstream.js';
export * from './mock-chat.js';
export * from './router.js';
export * from './temp.js';
export * from './mock-messages.js';
export { estimateTokens, type CacheUsage } from './mock-messages-rules.js';

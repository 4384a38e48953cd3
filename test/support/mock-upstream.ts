// The mock upstream is part of the published test kit (`codex-code-router/testing`).
export * from '../../src/testing/mock-upstream.js';

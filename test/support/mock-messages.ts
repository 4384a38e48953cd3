// The mock Anthropic Messages server is part of the published test kit (`codex-code-router/testing`).
export * from '../../src/testing/mock-messages.js';

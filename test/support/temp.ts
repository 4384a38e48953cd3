// Part of the published test kit (`codex-code-router/testing`).
export * from '../../src/testing/temp.js';

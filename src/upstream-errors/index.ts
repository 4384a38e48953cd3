// Reading an upstream's error answer: its small body and the wait its headers announce (retry-429, chat-translator,
// copilot-models).
export { readErrorBody } from './read-body.js';
export { headerValue, retryAfter, type ResponseHeaders, type RetryAfter } from './retry-after.js';

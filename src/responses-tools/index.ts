// Codex's Responses tools mapped to function tools and back, and the content of its items: the chat-translator,
// messages-translator and copilot-tools plugins share this.
export { ToolMap, flattenName, type ToolTarget } from './tool-map.js';
export { convertTools, type ChatTool } from './convert.js';
export { customInput } from './custom-input.js';
export { imageUrl, isImagePart, partText, textOf } from './content.js';
export { openCarrier, sealCarrier } from './carrier.js';
export { allMatching, lookupPattern, matchPattern } from './model-patterns.js';
export { FieldDecoder } from './field-decoder.js';
export { checkBaseUrl, invalidRequest, readRequestHead, type RequestHead, type TranslatedBody } from './request-head.js';
export { cachedCatalog, MODELS_TIMEOUT_MS, readApiKeyEnv, refuseStateful } from './translator-setup.js';
export { keepTexts, type KeptBody, type KeptTextPlaces } from './kept-texts.js';
export { BytesCache } from './bytes-cache.js';
export { HistoryPrefixes, PrefixUnusable, sameBytes, stringContent, type HistoryPrefix, type PrefixMatch, type RememberedHistory, type ResumedBody } from './history-prefix.js';
export { wireTools, type ConvertedTools, type KeptTools, type WireTools } from './wire-tools.js';

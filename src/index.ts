// Public API of codex-code-router. Core exports come first: built-in plugins import this module, and
// ESM evaluates these re-exports' sources before the router (which imports the plugins) below.
export { definePlugin, defineConfig } from './core/define.js';
export { GatewayError, PluginError, ConfigError, errorBody, type GatewayErrorInit } from './core/errors.js';
export { Stage, type Hooks, type HookName, type ObserverOption } from './core/hooks.js';
export { eventJson, jsonEvent, serializeEvents, isEventStream } from './core/sse.js';
export { isLoopbackHost } from './core/net.js';
export { isObject, type JsonObject } from './json/is-object.js';
export { SlotTemplate } from './json/slot-template.js';
export { allMatching, convertTools, customInput, FieldDecoder, lookupPattern, matchPattern, imageUrl, isImagePart, openCarrier, partText, sealCarrier, textOf, cachedCatalog, checkBaseUrl, invalidRequest, readRequestHead, type RequestHead, type TranslatedBody, MODELS_TIMEOUT_MS, readApiKeyEnv, refuseStateful, keepTexts, BytesCache, HistoryPrefixes, PrefixUnusable, sameBytes, stringContent, wireTools, type ConvertedTools, type KeptTools, type WireTools, type HistoryPrefix, type PrefixMatch, type RememberedHistory, type ResumedBody, type ChatTool, type KeptBody, type KeptTextPlaces, type ToolMap, type ToolTarget } from './responses-tools/index.js';
export { ResponsesWriter, newResponsesId, type ResponsesWriterOptions, type ResponsesUsage, type ResponsesFailure, type TerminalStatus, type OutputItem, type ReasoningItem, type MessageItem, type ContentPart, type ContentPartType, type FunctionCallItem, type CustomToolCallItem, tapTranslatedStreams, translatedVerdict, streamFailureOf, parseJsonBody, type TranslatedStream, type TranslatorStreams, type TranslatedAnswer } from './responses-stream/index.js';
export { readErrorBody, headerValue, retryAfter, type ResponseHeaders, type RetryAfter } from './upstream-errors/index.js';
export { jsonMembers, jsonItems, jsonKind, jsonString, jsonValue, PEEK_MIN_BYTES, type JsonRange, type JsonKind } from './core/json-peek.js';
export { requestModel, rememberRequestModel } from './codex/request-model.js';
export { resolvePluginOptions, type Builtins } from './core/loader.js';
export { createLogger, type Logger } from './core/logger.js';
export * from './redact/index.js';
export type * from './core/types.js';
export type { RouterHandle } from './core/kernel.js';
export type { ResolvedConfig } from './core/config.js';
export { buildModelInfo, buildCatalog, validateCatalog, DEFAULT_BASE_INSTRUCTIONS, type ModelInfo, type ModelInfoInput, type ModelCatalog, type CatalogValidation, type ReasoningEffort, type InputModality } from './codex/catalog.js';
export { readModelsAnswer, type DiscoveredModels } from './codex/models-answer.js';
export { CopilotTokenStore, COPILOT_TOKEN_URL, CopilotAuthError, missingAuthError, stripBearer, refuseInbound, resolveTokenFilePath, type CopilotToken, type InboundAuthPolicy } from './copilot/index.js';
export { parseTokenFile, readTokenFile, type TokenFileData } from './copilot/index.js';
export { copilotClientProperties, copilotClientEnv, copilotClientHeaders, type CopilotClientVersions, type CopilotClientIds } from './copilot/index.js';
export { createRouter, loadRouter, type CreateRouterOptions } from './router.js';
export { statePaths, type StatePaths } from './service/state.js';

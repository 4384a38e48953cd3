// The Responses event stream Codex reads, written item by item: every translator into Codex's wire shares this.
export { ResponsesWriter, newResponsesId, type ResponsesWriterOptions, type ResponsesUsage, type ResponsesFailure, type TerminalStatus, type OutputItem, type ReasoningItem, type MessageItem, type ContentPart, type ContentPartType, type FunctionCallItem, type CustomToolCallItem } from './writer.js';
export { tapTranslatedStreams, translatedVerdict, streamFailureOf, parseJsonBody, type TranslatedStream, type TranslatorStreams, type TranslatedAnswer } from './translator-hooks.js';

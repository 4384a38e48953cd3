// Redaction shared by diagnostics and logs: by key, by header name, and by the shape of the value.
export { REDACTED, CUT_MARGIN, redactText, redactCut, containsSecret, secretRanges, redactPieces, valuePatterns, type SecretHit, type ValuePattern } from './values.js';
export { REDACTED_CONTENT, isSensitiveKey, redactJson, redactJsonText, redactAllStrings } from './keys.js';
export { redactHeaders, redactHeaderValue, redactUrl } from './headers.js';
export { fnv1a64, stableHash, truncate } from './hash.js';

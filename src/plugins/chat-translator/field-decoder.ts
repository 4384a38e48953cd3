// The decoder is shared by both translators (responses-tools); the chat-translator's stream state imports it here.
export { FieldDecoder } from '../../index.js';

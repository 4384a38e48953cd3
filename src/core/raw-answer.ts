import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, GatewayError } from './errors.js';

/** How long a client may take to accept a final raw answer before its connection is dropped anyway. */
const FLUSH_GRACE_MS = 2_000;

/**
 * Writes a final HTTP/1.1 error answer straight to a socket Node's HTTP layer no longer serves (a request its parser
 * refused, a CONNECT), then destroys the socket. `end()` alone only half-closes: a client that never reads nor
 * closes would keep the descriptor for as long as it likes, before any auth.
 */
export function answerOnSocket(socket: Duplex, err: GatewayError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(err));
  let head = `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(err.headers)) if (name !== 'connection') head += `${name}: ${value}\r\n`;
  const timer = setTimeout(() => socket.destroy(), FLUSH_GRACE_MS).unref();
  socket.on('error', () => {});
  socket.once('close', () => clearTimeout(timer));
  socket.end(`${head}connection: close\r\n\r\n${body}`, () => socket.destroy());
}

/** A request Node's HTTP parser refused (or timed out) still gets an OpenAI-shaped answer before the connection closes. */
export function answerMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's own handler does: bytes after an answer already under way would corrupt it for the client.
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  answerOnSocket(socket, malformedError(err));
}

function malformedError(err: NodeJS.ErrnoException): GatewayError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new GatewayError({ status: 431, type: 'invalid_request_error', code: 'headers_too_large', message: 'request headers are too large' });
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new GatewayError({ status: 408, type: 'invalid_request_error', code: 'request_timeout', message: 'the request was not received in time' });
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'malformed_request', message: `malformed HTTP request: ${err.code ?? err.message}` });
}

import { connect } from 'node:net';

/** One HTTP/1.1 answer as bytes arrived: status, headers, de-chunked body, or that the connection just closed. */
export interface RawAnswer {
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
  /** The connection closed before any status line. */
  closedEarly: boolean;
  hung: boolean;
}

/**
 * Sends exact bytes on a fresh loopback connection and reads until the server closes it (the request says
 * `connection: close`). Nothing is normalized, so mismatched content-lengths and odd methods reach the gateway as
 * written. `hangUpAfterMs` half-closes the connection that long after sending, as a client that gave up would (Node's
 * server then drops the request: without it, a body shorter than its declared length waits for the rest).
 */
export function rawRequest(port: number, bytes: Buffer, deadlineMs: number, hangUpAfterMs?: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      socket.destroy();
    }, deadlineMs);
    socket.on('connect', () => {
      socket.write(bytes);
      if (hangUpAfterMs !== undefined) setTimeout(() => socket.end(), hangUpAfterMs);
    });
    socket.on('data', (chunk: Buffer) => void chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseAnswer(Buffer.concat(chunks)), hung });
    });
  });
}

function parseAnswer(raw: Buffer): Omit<RawAnswer, 'hung'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, headers: {}, body: Buffer.alloc(0), closedEarly: true };
  const [statusLine, ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status, headers, body, closedEarly: false };
}

function dechunk(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < raw.length) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Token counts of a `response.completed` event's `response.usage`. */
export interface Usage {
  input: number;
  output: number;
  cached: number;
  reasoning: number;
}

const MARKER = Buffer.from('response.completed');
/** The completed event repeats the whole output; beyond this it is not worth holding for a usage count. */
const MAX_EVENT_BYTES = 8 * 1024 * 1024;

/**
 * Finds the `response.completed` event in the bytes written to Codex without parsing the stream: a native
 * `indexOf` for the marker per chunk, and only the unfinished tail of the last event is kept between chunks. The one
 * event that carries the marker is JSON-parsed; text that merely mentions it is skipped.
 */
export class CompletedScanner {
  private tail: Buffer = Buffer.alloc(0);
  /** Offset in `tail` of a marker whose event had not ended yet. */
  private pendingHit: number | undefined;
  usage: Usage | undefined;
  done = false;

  push(chunk: Buffer): void {
    if (this.done) return;
    let data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let from = this.pendingHit ?? Math.max(0, this.tail.length - MARKER.length);
    this.pendingHit = undefined;
    for (;;) {
      const hit = data.indexOf(MARKER, from);
      if (hit === -1) break;
      const start = eventStart(data, hit);
      const end = eventEnd(data, hit);
      if (end === -1) {
        // The event continues in the next chunk: keep it from its start.
        this.keep(data.subarray(start));
        if (!this.done) this.pendingHit = hit - start;
        return;
      }
      if (this.read(data.subarray(start, end))) return;
      data = data.subarray(end);
      from = 0;
    }
    const boundary = lastBoundary(data);
    this.keep(boundary === -1 ? data : data.subarray(boundary));
  }

  private keep(rest: Buffer): void {
    if (rest.length > MAX_EVENT_BYTES) {
      this.done = true;
      this.tail = Buffer.alloc(0);
      return;
    }
    // A copy: a slice would pin the whole chunk it came from.
    this.tail = Buffer.from(rest);
  }

  /** Parses one event; true when it was the completed event. */
  private read(event: Buffer): boolean {
    const data = event
      .toString('utf8')
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
      .join('\n');
    let json: { type?: unknown; response?: { usage?: Record<string, unknown> } };
    try {
      json = JSON.parse(data) as typeof json;
    } catch {
      return false;
    }
    if (json?.type !== 'response.completed') return false;
    const u = json.response?.usage ?? {};
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
    const details = (key: string) => (typeof u[key] === 'object' && u[key] !== null ? (u[key] as Record<string, unknown>) : {});
    this.usage = { input: n(u.input_tokens), output: n(u.output_tokens), cached: n(details('input_tokens_details').cached_tokens), reasoning: n(details('output_tokens_details').reasoning_tokens) };
    this.done = true;
    this.tail = Buffer.alloc(0);
    return true;
  }
}

/** Index just after the blank line that precedes `at`, or 0. */
function eventStart(data: Buffer, at: number): number {
  const a = data.lastIndexOf('\n\n', at);
  const b = data.lastIndexOf('\n\r\n', at);
  return Math.max(a === -1 ? 0 : a + 2, b === -1 ? 0 : b + 3);
}

/** Index just after the blank line that ends the event containing `at`, or -1 when it has not arrived. */
function eventEnd(data: Buffer, at: number): number {
  const a = data.indexOf('\n\n', at);
  const b = data.indexOf('\n\r\n', at);
  if (a === -1 && b === -1) return -1;
  if (b === -1 || (a !== -1 && a < b)) return a + 2;
  return b + 3;
}

function lastBoundary(data: Buffer): number {
  const a = data.lastIndexOf('\n\n');
  const b = data.lastIndexOf('\n\r\n');
  return Math.max(a === -1 ? -1 : a + 2, b === -1 ? -1 : b + 3);
}

/** Response headers as the kernel hands them to plugins. */
export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A header's first value, trimmed; undefined when absent or blank. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

const DECIMAL = /^\d+(\.\d+)?$/;

export interface RetryAfter {
  ms: number;
  source: 'retry-after' | 'retry-after-ms';
}

/**
 * The wait `retry-after` (seconds or a future HTTP date) or else `retry-after-ms` announces. A date in the past, or
 * a value that does not parse, falls through to the next header.
 */
export function retryAfter(headers: ResponseHeaders, now: number): RetryAfter | undefined {
  const seconds = headerValue(headers, 'retry-after');
  if (seconds !== undefined) {
    if (DECIMAL.test(seconds)) return { ms: Math.round(Number(seconds) * 1000), source: 'retry-after' };
    const date = Date.parse(seconds);
    if (Number.isFinite(date) && date > now) return { ms: date - now, source: 'retry-after' };
  }
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && DECIMAL.test(ms)) return { ms: Math.round(Number(ms)), source: 'retry-after-ms' };
  return undefined;
}

/**
 * Whether text written to `stream` may carry ANSI colours: never with `NO_COLOR` set to anything (no-color.org),
 * always with `FORCE_COLOR` (other than `0`), else only on a terminal that is not `dumb`.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

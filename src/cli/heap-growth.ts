import { setFlagsFromString } from 'node:v8';

/** The factor V8's own heuristic allows a large heap at most (1 + 300 / 100 = 4), used from the first collection on. */
const HEAP_GROWING_PERCENT = 300;

const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Pins V8's old-generation growing factor for `ccrx serve`, unless the user gave node one of their own
 * (`node --heap-growing-percent=N ccrx serve`; NODE_OPTIONS does not take it). Returns whether it did.
 *
 * Why: the gateway holds each request's body, and a translator's upstream body, as buffers outside V8's heap; a long
 * session's are a megabyte each, and Node's socket reads add as much again while they arrive. V8 counts the external
 * bytes allocated since its last full collection against the old generation's limit, and its dynamic factor left the
 * gateway's 17 MB heap 23–41 MB of room: the swing of the buffers in flight used it up, and each full collection,
 * taken at a low point of that swing, set up the next one (`--trace-gc`: 8–22 full mark-compacts in 300 turns of
 * 1 MB sessions, against none for a proxy that only pipes). Pinned at the factor V8 itself allows at most: 1–3.
 */
export function pinHeapGrowth(execArgv: readonly string[] = process.execArgv, percent = HEAP_GROWING_PERCENT): boolean {
  if (execArgv.some((arg) => FLAG.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}

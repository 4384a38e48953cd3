import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';

const module = pathToFileURL(join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'src', 'cli', 'heap-growth.js')).href;

/**
 * Runs `pinHeapGrowth(process.execArgv, percent)` in a child node, then four full collections; returns what it returned
 * and the factors V8 set the old generation's limits with (`--trace-gc-verbose`: `[HeapController] Limit: ... (4.0)`
 * on Node 20's V8, `[V8HeapTrait]` on later ones).
 */
async function limits(nodeArgs: string[], percent?: number): Promise<{ pinned: string; factors: Set<string> }> {
  const call = percent === undefined ? 'pinHeapGrowth()' : `pinHeapGrowth(process.execArgv, ${percent})`;
  const script = `const { pinHeapGrowth } = await import(${JSON.stringify(module)}); const pinned = ${call}; const keep = []; for (let i = 0; i < 4; i++) { keep.push(new Array(200000).fill({ i })); globalThis.gc(); } console.log('pinned=' + pinned);`;
  const r = await runChild(process.execPath, ['--expose-gc', '--trace-gc-verbose', ...nodeArgs, '--input-type=module', '-e', script], { PATH: process.env.PATH ?? '' }, 20_000);
  expect(r.code, r.stderr).toBe(0);
  const factors = new Set([...r.stdout.matchAll(/\[(?:HeapController|V8HeapTrait)\] Limit: .*\(([\d.]+)\)/g)].map((m) => m[1]!));
  expect(factors.size, r.stdout.slice(-2000)).toBeGreaterThan(0);
  return { pinned: /pinned=(\w+)/.exec(r.stdout)?.[1] ?? '', factors };
}

describe('pinHeapGrowth (ccrx serve)', () => {
  it("sets V8's old-generation growing factor at run time, for every later full collection", async () => {
    // 50 %, which V8's own heuristic never picks for this heap: the factor it reports is the pinned one.
    expect(await limits([], 50)).toEqual({ pinned: 'true', factors: new Set(['1.5']) });
    expect(await limits([])).toEqual({ pinned: 'true', factors: new Set(['4.0']) });
  });

  it('leaves a factor the user gave node alone', async () => {
    expect(await limits(['--heap-growing-percent=50'])).toEqual({ pinned: 'false', factors: new Set(['1.5']) });
    expect(await limits(['--heap_growing_percent=50'])).toEqual({ pinned: 'false', factors: new Set(['1.5']) });
  });
});

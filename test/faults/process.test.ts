import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTypes, faultMix, judge, send, settle, startFaultUpstream, type FaultUpstream } from './support.js';

// The real `ccrx serve` process under a mix of upstream faults: it keeps serving, reports no unhandled rejection
// or error-level log, its memory comes back near where it started, and SIGTERM ends it promptly (nothing in flight
// holds it open). Runs the built CLI (`npm test` builds first).

const root = join(import.meta.dirname, '..', '..');
let upstream: FaultUpstream;
let dir: string;
let child: ChildProcess;
let stderr = '';
let url: string;

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : NaN;
}

beforeAll(async () => {
  upstream = await startFaultUpstream();
  dir = mkdtempSync(join(tmpdir(), 'ccrx-faults-'));
  const config = join(dir, 'router.config.mjs');
  writeFileSync(
    config,
    `export default {
  plugins: [{
    name: 'fault-routing',
    apply({ hooks }) {
      hooks.request.tapPromise('fault-routing', async (ex) => {
        const fault = ex.inbound.query.get('fault') ?? 'ok';
        ex.upstream.url = new URL('/responses?fault=' + encodeURIComponent(fault), fault === 'refuse' ? ${JSON.stringify(upstream.closedUrl)} : ${JSON.stringify(upstream.url)});
        return undefined;
      });
    },
  }],
  upstream: { headersTimeoutMs: 1000, idleTimeoutMs: 1000 },
  server: { shutdownGraceMs: 10000 },
};
`,
  );
  child = spawn(process.execPath, [join(root, 'bin', 'ccrx.js'), 'serve', '--config', config, '--port', '0', '--log-level', 'info'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: '' } });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ccrx serve did not start: ${stderr}`)), 10_000);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      const found = stderr.match(/"url":"(http:\/\/[^"]+)"[^\n]*listening/);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`ccrx serve exited with ${code}: ${stderr}`)));
  });
}, 20_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await upstream?.close();
  if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
});

describe('ccrx serve under faults', () => {
  it('serves 1,000 mixed faulty requests, stays lean and exits promptly on SIGTERM', async () => {
    const pid = child.pid!;
    // Warm up first so the baseline includes JIT-compiled code and pooled buffers.
    await Promise.all(faultMix(200, 3).map((m) => send(`${url}/v1/responses?fault=${m.fault}`, m)));
    await settle(url);
    const start = rssMiB(pid);

    for (let round = 0; round < 2; round += 1) {
      const mix = faultMix(500, 17 + round);
      const seen = await Promise.all(mix.map((m) => send(`${url}/v1/responses?fault=${m.fault}`, { ...m, deadlineMs: 15_000 })));
      const problems = seen.map((s, i) => judge(mix[i]!.fault, 'bytes', s)).filter(Boolean);
      expect(problems.slice(0, 5)).toEqual([]);
    }
    expect(await settle(url)).toBe(0);
    expect(eventTypes((await send(`${url}/v1/responses?fault=ok`)).body).at(-1)).toBe('response.completed');
    await new Promise((r) => setTimeout(r, 300));
    const end = rssMiB(pid);
    // Generous: the heap may keep some of what it grew to, but not the bodies of a thousand requests.
    expect(end - start).toBeLessThan(120);

    expect(child.exitCode).toBeNull();
    const sentAt = Date.now();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(3_000);

    expect(stderr).not.toMatch(/unhandled|uncaught/i);
    const severe = stderr.split('\n').filter((line) => /"level":(50|60)/.test(line));
    expect(severe).toEqual([]);
  }, 40_000);
});

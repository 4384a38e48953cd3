import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { responsesTextStream, sendSse, sseText, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { ccrxBin, createSandbox, isAlive, writeConfig, type Sandbox } from './helpers.js';

let sb: Sandbox;
let mock: MockUpstream | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
  await sb?.cleanup();
});

/** A slow Responses stream: one delta every `delayMs`. */
function slowEvents(deltas: number): object[] {
  const [created, added, , done, completed] = responsesTextStream('x'.repeat(deltas));
  const parts = Array.from({ length: deltas }, () => ({ type: 'response.output_text.delta', item_id: 'msg_mock', output_index: 0, content_index: 0, delta: 'x' }));
  return [created!, added!, ...parts, done!, completed!];
}

async function openStream(url: string) {
  const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","stream":true,"input":"hi"}' });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const first = await reader.read();
  text += decoder.decode(first.value, { stream: true });
  /** Reads to the end; `clean` is false when the connection broke instead of ending. */
  const rest = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { text, clean: true };
        text += decoder.decode(value, { stream: true });
      }
    } catch {
      return { text, clean: false };
    }
  })();
  // Wrapped: returning the promise itself would make `await openStream()` wait for the whole stream.
  return { rest, firstAt: Date.now() };
}

describe('SIGTERM during an active stream', () => {
  it('ccrx stop lets a stream within the grace period finish, without SIGKILL', async () => {
    const events = slowEvents(40); // about 4 s: longer than the `ccrx stop` process takes to start
    mock = await startMockUpstream((_req, res) => sendSse(res, events, { delayMs: 100 }));
    sb = await createSandbox();
    writeConfig(sb, { upstreamUrl: mock.url, shutdownGraceMs: 15_000 });
    expect((await sb.ccrx(['start'])).code).toBe(0);
    const pid = sb.readPid()!;

    const stream = await openStream(sb.url);
    const stopped = await sb.ccrx(['stop']);
    const { text, clean } = await stream.rest;

    expect(clean).toBe(true);
    expect(text).toBe(sseText(events));
    expect(stopped.stdout).toContain(`stopped ccrx (pid ${pid})`);
    expect(stopped.stdout).not.toContain('SIGKILL');
    expect(isAlive(pid)).toBe(false);
    // The stop really overlapped the stream: the service began shutting down before the request completed.
    const lines = readFileSync(sb.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; time: number; outcome?: string });
    const shutdown = lines.find((l) => l.msg === 'shutting down')!;
    const completed = lines.find((l) => l.msg === 'request completed')!;
    expect(shutdown.time).toBeLessThan(completed.time);
    expect(completed.outcome).toBe('completed');
  }, 30_000);

  it('serve exits 0 within the grace period when a stream outlives it, and the client sees the end', async () => {
    // Never ends on its own: one event every 100 ms.
    mock = await startMockUpstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const [created] = responsesTextStream('x');
      res.write(sseText([created!]));
      while (!res.destroyed) {
        res.write(sseText([{ type: 'response.output_text.delta', item_id: 'msg_mock', output_index: 0, content_index: 0, delta: 'x' }]));
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    sb = await createSandbox();
    const config = writeConfig(sb, { upstreamUrl: mock.url, shutdownGraceMs: 500 });
    const logFile = join(sb.stateDir, 'serve.log');
    const serve = sb.track(spawn(process.execPath, [ccrxBin, 'serve', '--config', config, '--log-file', logFile], { cwd: sb.dir, env: sb.env, stdio: ['ignore', 'inherit', 'inherit'] }));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => serve.once('exit', (code) => resolve({ code, at: Date.now() })));
    await waitFor(async () => {
      const res = await fetch(`${sb.url}/health`).catch(() => undefined);
      await res?.text();
      return res?.status === 200;
    });

    const stream = await openStream(sb.url);
    const signalled = Date.now();
    serve.kill('SIGTERM');
    const { code, at } = await exited;
    const { text } = await stream.rest;

    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(500 + 3000);
    // The client's read ends instead of hanging (today as a cut connection: see docs/service.md).
    expect(text).toContain('response.created');
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('"msg":"shutting down"');
    expect(log).toMatch(/"msg":"request ended: [a-z]+"/);
  }, 30_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { definePlugin, GatewayError, jsonEvent, Stage, type Plugin } from '../../src/index.js';
import { sendSse, responsesTextStream, sseText, startMockUpstream } from '../support/mock-upstream.js';
import { upstreamTo } from '../support/upstream-plugin.js';
import { gatewayWith, json, onCleanup, started } from './helpers.js';

/** A stream tap that changes nothing: it puts a chain in event mode. */
const watcher = definePlugin({ name: 'watcher', apply: ({ hooks }) => void hooks.streamChunk.tap('watcher', (events) => events) });

/** A plugin that appends its mark to `x-order` in request and to `x-attempt-order` in attempt. */
function marker(name: string, stage?: number): Plugin {
  return definePlugin({
    name,
    apply({ hooks }) {
      const opts = stage === undefined ? name : { name, stage };
      hooks.request.tapPromise(opts, async (ex) => {
        ex.upstream.headers['x-order'] = [ex.upstream.headers['x-order'], name].filter(Boolean).join(',');
        return undefined;
      });
    },
  });
}

describe('hook order and entries', () => {
  it('runs taps in config order; a named stage moves a tap; a disabled entry is skipped', async () => {
    const { mock, gw } = await gatewayWith((_req, res) => void sendSse(res, responsesTextStream('ok')), [
      marker('late', Stage.Fallback),
      marker('first'),
      { plugin: marker('disabled'), enabled: false },
      marker('second'),
      false,
      marker('third'),
    ]);
    await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' })).text();
    expect(mock.requests[0]!.headers['x-order']).toBe('first,second,third,late');
    const health = await json(await fetch(`${gw.url}/health`));
    expect(health.providers.default.plugins).toEqual(['test-upstream', 'late', 'first', 'second', 'third']);
  });

  it('serves each provider under its prefix with its own chain', async () => {
    const a = await startMockUpstream((_req, res) => void sendSse(res, responsesTextStream('from a')));
    const b = await startMockUpstream((_req, res) => void sendSse(res, responsesTextStream('from b')));
    onCleanup(() => a.close());
    onCleanup(() => b.close());
    const gw = await started({ plugins: [upstreamTo(a)], providers: { other: { plugins: [upstreamTo(b)] } } });
    expect(await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' })).text()).toContain('from a');
    expect(await (await fetch(`${gw.url}/other/v1/responses`, { method: 'POST', body: '{}' })).text()).toContain('from b');
    expect(a.requests).toHaveLength(1);
    expect(b.requests).toHaveLength(1);
  });
});

describe('verdicts and replays', () => {
  const replayOn503 = definePlugin({
    name: 'replay-503',
    apply({ hooks }) {
      hooks.upstreamResponse.tapPromise('replay-503', async (ex, res) => (res.status === 503 ? { replay: { afterMs: 5, reason: 'test' } } : undefined));
      hooks.attempt.tapPromise('replay-503', async (ex) => {
        ex.upstream.headers['x-attempt'] = String(ex.attempt);
      });
    },
  });

  it('replays the same body bytes until the upstream answers, each attempt through the attempt hook', async () => {
    const { mock, gw } = await gatewayWith((_req, res, i) => (i < 2 ? void res.writeHead(503).end('busy') : void sendSse(res, responsesTextStream('done'))), [replayOn503]);
    const body = '{"input":  "exact bytes ✓"}';
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('done');
    expect(mock.requests.map((r) => r.body.toString())).toEqual([body, body, body]);
    expect(mock.requests.map((r) => r.headers['x-attempt'])).toEqual(['1', '2', '3']);
  });

  it('stops at the attempt cap and passes the last upstream answer on', async () => {
    const { mock, gw } = await gatewayWith((_req, res) => void res.writeHead(503).end('still busy'), [replayOn503], { upstream: { maxAttempts: 3 } });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('still busy');
    expect(mock.requests).toHaveLength(3);
  });

  it('a fail verdict becomes an OpenAI-shaped error with its headers; a reply verdict answers locally', async () => {
    const mapper = definePlugin({
      name: 'mapper',
      apply({ hooks }) {
        hooks.upstreamResponse.tapPromise('mapper', async (_ex, res) => {
          if (res.status === 429) return { fail: new GatewayError({ status: 429, type: 'usage_limit_reached', code: 'usage_limit_reached', message: 'quota gone', headers: { 'retry-after': '7' }, details: { resets_at: 123 } }) };
          if (res.status === 202) return { reply: { status: 200, body: { echoed: (await res.readBody()).toString() } } };
          return undefined;
        });
      },
    });
    const { gw } = await gatewayWith((req, res) => void res.writeHead(req.body.toString() === 'q' ? 429 : 202).end('upstream text'), [mapper]);
    const limited = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: 'q' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await json(limited)).toEqual({ error: { message: 'quota gone', type: 'usage_limit_reached', code: 'usage_limit_reached', resets_at: 123 } });
    const replied = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: 'r' });
    expect(await json(replied)).toEqual({ echoed: 'upstream text' });
  });

  it.each([
    ['a sync tap that throws', (hooks: Parameters<Plugin['apply']>[0]['hooks']) => hooks.request.tap('broken', () => { throw new Error('boom with secret-token-123'); })],
    ['a promise tap that rejects', (hooks: Parameters<Plugin['apply']>[0]['hooks']) => hooks.request.tapPromise('broken', async () => { throw new Error('boom with secret-token-123'); })],
    ['a promise tap that throws before returning its promise', (hooks: Parameters<Plugin['apply']>[0]['hooks']) => hooks.request.tapPromise('broken', () => { throw new Error('boom with secret-token-123'); })],
  ])('%s becomes a 500 naming nothing secret, and the gateway keeps serving', async (_name, tapBroken) => {
    const broken = definePlugin({ name: 'broken', apply: ({ hooks }) => void tapBroken(hooks) });
    const { gw } = await gatewayWith((_req, res) => void sendSse(res, responsesTextStream('x')), [broken]);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    const body = await json(res);
    expect(body.error.code).toBe('plugin_error');
    expect(JSON.stringify(body)).not.toContain('secret-token-123');
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  it('invalid JSON gets a 400 invalid_json when a plugin reads the body', async () => {
    const reader = definePlugin({
      name: 'reader',
      apply({ hooks }) {
        hooks.request.tap('reader', (ex) => void ex.inbound.json());
      },
    });
    const { mock, gw } = await gatewayWith((_req, res) => void sendSse(res, responsesTextStream('x')), [reader]);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{"input": [' });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('invalid_json');
    expect(mock.requests).toHaveLength(0);
  });
});

describe('upstream failures', () => {
  it('refused → 502 upstream_unreachable; no headers in time → 504 upstream_timeout', async () => {
    const dead = await startMockUpstream(() => {});
    const url = dead.url;
    await dead.close();
    const gw = await started({ plugins: [upstreamTo({ url } as never)] });
    const refused = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(502);
    expect((await json(refused)).error.code).toBe('upstream_unreachable');

    const { gw: slow } = await gatewayWith(() => new Promise(() => {}), [], { upstream: { headersTimeoutMs: 200 } });
    const timedOut = await fetch(`${slow.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(timedOut.status).toBe(504);
    expect((await json(timedOut)).error.code).toBe('upstream_timeout');
  });

  it('a byte stream cut mid-way ends the client connection without a fake success', async () => {
    const { gw } = await gatewayWith(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseText([{ type: 'response.created', response: { id: 'r' } }]));
      await new Promise((r) => setTimeout(r, 30));
      res.destroy();
    });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('an event stream cut mid-way ends with response.failed, and an idle upstream is cut by the idle timeout', async () => {
    const { gw } = await gatewayWith(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseText([{ type: 'response.created', response: { id: 'r' } }]));
      // then silence: the idle timeout (not a total timeout) ends it
    }, [watcher], { upstream: { idleTimeoutMs: 300 } });
    const text = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' })).text();
    expect(text).toContain('response.created');
    expect(text).toMatch(/"type":"response.failed".*"code":"upstream_stream_error"/);
    expect(text).not.toContain('response.completed');
  });
});

describe('client abort', () => {
  it('reaches the upstream at once, before and during the stream', async () => {
    const closed: number[] = [];
    const { mock, gw } = await gatewayWith((req, res, i) => {
      res.on('close', () => closed.push(i));
      if (i === 1) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sseText([{ type: 'response.created', response: { id: 'r' } }]));
      }
    });
    const before = new AbortController();
    const pending = fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}', signal: before.signal }).catch(() => 'aborted');
    await until(() => mock.requests.length === 1);
    before.abort();
    expect(await pending).toBe('aborted');
    await until(() => closed.includes(0));

    const during = new AbortController();
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}', signal: during.signal });
    const reader = res.body!.getReader();
    await reader.read();
    during.abort();
    await until(() => closed.includes(1));
  });
});

describe('on-demand stream taps', () => {
  it('pipe bytes untouched unless the plugin asks for events on that exchange', async () => {
    const upper = definePlugin({
      name: 'upper',
      streamEventsOnDemand: true,
      apply({ hooks }) {
        hooks.request.tap('upper', (ex) => {
          if (ex.inbound.body.toString() === 'events') ex.streamEvents = true;
          return undefined;
        });
        hooks.streamChunk.tap('upper', (events) => events.map((e) => ({ ...e, data: e.data.toUpperCase() })));
      },
    });
    // `data:x` (no space) and a comment are re-serialized differently when parsed: bytes prove no parsing happened.
    const raw = ': hello\ndata:{"type":"a"}\n\n';
    const { gw } = await gatewayWith((_req, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(raw), [upper]);
    expect(await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: 'bytes' })).text()).toBe(raw);
    expect(await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: 'events' })).text()).toBe('data: {"TYPE":"A"}\n\n');
  });
});

describe('the first byte of an event stream', () => {
  /** What happens, in order: the stream tap's calls, and each socket write that carries the opening event. */
  const order: string[] = [];
  const opener = definePlugin({
    name: 'opener',
    apply({ hooks }) {
      hooks.streamOpen.tap('opener', (events) => [...events, { event: 'response.created', data: '{"type":"response.created","mark":"opening"}' }]);
      hooks.streamChunk.tap('opener', (events) => {
        order.push('translate');
        return events;
      });
    },
  });

  /** Codex's text, and the socket writes that carried the opening event, for one request. */
  async function answer(url: string): Promise<{ text: string; writes: string[] }> {
    order.length = 0;
    const writes: string[] = [];
    type Chunk = { chunk: Buffer | string };
    const proto = Socket.prototype as unknown as { _write: (data: Buffer | string, ...rest: unknown[]) => void; _writev: (chunks: Chunk[], ...rest: unknown[]) => void };
    const { _write: write, _writev: writev } = proto;
    const note = (data: string) => {
      if (!data.includes('"mark":"opening"')) return;
      order.push('opening written');
      writes.push(data);
    };
    proto._write = function (this: Socket, data, ...rest) {
      note(String(data));
      return write.call(this, data, ...rest);
    };
    proto._writev = function (this: Socket, chunks, ...rest) {
      note(chunks.map(({ chunk }) => String(chunk)).join(''));
      return writev.call(this, chunks, ...rest);
    };
    try {
      const text = await (await fetch(`${url}/v1/responses`, { method: 'POST', body: '{}' })).text();
      expect(text.indexOf('"mark":"opening"')).toBeLessThan(text.indexOf('response.completed'));
      return { text, writes };
    } finally {
      proto._write = write;
      proto._writev = writev;
    }
  }

  it('the head and the opening events leave before the first upstream events are read, when these came with the head and the rest is still coming', async () => {
    const sse = sseText(responsesTextStream('hi'));
    const cut = sse.indexOf('\n\n') + 2;
    const { gw } = await gatewayWith((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).write(sse.slice(0, cut));
      setTimeout(() => res.end(sse.slice(cut)), 50);
    }, [opener]);
    const { writes } = await answer(gw.url);
    expect(order[0]).toBe('opening written');
    expect(order).toContain('translate');
    expect(writes).toHaveLength(1);
    expect(writes[0]).not.toContain('response.completed');
  });

  it('an answer whose end came with its head leaves whole: head, opening events and the rest in one write', async () => {
    const { gw } = await gatewayWith((_req, res) => void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(sseText(responsesTextStream('hi'))), [opener]);
    const { writes } = await answer(gw.url);
    expect(order[0]).toBe('translate');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain('response.completed');
  });
});

describe('a stream tap that throws', () => {
  it('ends that answer with response.failed and leaves the gateway serving', async () => {
    const brittle = definePlugin({
      name: 'brittle',
      apply({ hooks }) {
        hooks.streamChunk.tap('brittle', (events) => {
          if (events.some((e) => e.data.includes('boom'))) throw new Error('tap broke with secret-token-123');
          return events;
        });
      },
    });
    const { gw } = await gatewayWith((req, res) => {
      const text = req.body.toString() === 'boom' ? 'boom' : 'fine';
      void sendSse(res, responsesTextStream(text));
    }, [brittle]);
    const broken = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: 'boom' })).text();
    const types = [...broken.matchAll(/"type":"([^"]+)"/g)].map((m) => m[1]);
    expect(types.at(-1)).toBe('response.failed');
    // The plugin's failure, named as such; not an upstream cut, and nothing of its internal message.
    expect(broken).toContain('"code":"plugin_error"');
    expect(broken).not.toContain('secret-token-123');
    const fine = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' })).text();
    expect(fine).toContain('response.completed');
  });
});

describe('keep-alive for slow upstreams', () => {
  it('commits an event stream early and sends real idle events until the upstream answers', async () => {
    const keeper = definePlugin({
      name: 'keeper',
      apply({ hooks }) {
        hooks.request.tap('keeper', (ex) => void (ex.keepAlive = { commitAfterMs: 50, intervalMs: 60 }));
        hooks.streamOpen.tap('keeper', (events) => [...events, jsonEvent({ type: 'response.created', response: { id: 'k' } })]);
        hooks.streamIdle.tap('keeper', (events) => [...events, jsonEvent({ type: 'response.in_progress', response: { id: 'k' } })]);
        hooks.streamChunk.tap('keeper', (events) => events);
      },
    });
    const { gw } = await gatewayWith(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 400));
      void sendSse(res, [{ type: 'response.completed', response: { id: 'k' } }]);
    }, [keeper]);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const types = [...text.matchAll(/"type":"([^"]+)"/g)].map((m) => m[1]);
    expect(types[0]).toBe('response.created');
    expect(types.filter((t) => t === 'response.in_progress').length).toBeGreaterThanOrEqual(2);
    expect(types.at(-1)).toBe('response.completed');
  });
});

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('terminal events', () => {
  it('an upstream that breaks after its terminal event gets no second terminal event', async () => {
    const { gw } = await gatewayWith(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseText([{ type: 'response.completed', response: { id: 'r' } }]));
      await new Promise((r) => setTimeout(r, 20));
      res.destroy();
    }, [watcher]);
    const text = await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' })).text();
    expect(text).toContain('response.completed');
    expect(text).not.toContain('response.failed');
  });
});

describe('upstreamError', () => {
  it('a replay verdict retries a connection reset with the same bytes; otherwise Codex gets the 502', async () => {
    const again = definePlugin({
      name: 'again',
      apply: ({ hooks }) => hooks.upstreamError.tapPromise('again', async (ex, error) => (error.code === 'upstream_unreachable' && ex.attempt < 2 ? { replay: { afterMs: 1, reason: 'reset' } } : undefined)),
    });
    const { mock, gw } = await gatewayWith((_req, res, i) => (i === 0 ? void res.socket?.destroy() : void sendSse(res, responsesTextStream('second try'))), [again]);
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{"x":1}' });
    expect(await res.text()).toContain('second try');
    expect(mock.requests.map((r) => r.body.toString())).toEqual(['{"x":1}', '{"x":1}']);

    mock.handle((_req, res) => void res.socket?.destroy());
    const failed = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(failed.status).toBe(502);
  });
});

describe('shutdown', () => {
  it('an event stream still running after the grace period ends with response.failed (shutting_down)', async () => {
    const { gw } = await gatewayWith(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sseText([{ type: 'response.created', response: { id: 'r' } }]));
    }, [watcher], { server: { shutdownGraceMs: 100 } });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{}' });
    const text = res.text();
    await new Promise((r) => setTimeout(r, 50));
    await gw.close();
    const body = await text;
    expect(body).toContain('response.created');
    expect(body).toMatch(/"type":"response.failed".*"code":"shutting_down"/);
  });
});

// Run from the repository with `npx vitest run examples`; in your own package, with vitest and codex-code-router installed.
import { afterEach, expect, it } from 'vitest';
import { definePlugin } from 'codex-code-router';
import { sendSse, responsesTextStream, startMockUpstream, startRouter } from 'codex-code-router/testing';
import modelAlias from '../index.js';

const open = [];
afterEach(async () => {
  while (open.length) await open.pop().close();
});

async function setup(options) {
  const mock = await startMockUpstream((_req, res) => void sendSse(res, responsesTextStream('hi')));
  open.push(mock);
  const upstream = definePlugin({
    name: 'upstream',
    apply: ({ hooks }) => hooks.request.tap('upstream', (ex) => void (ex.upstream.url = new URL('/responses', mock.url))),
  });
  const gw = await startRouter({ plugins: [upstream, [modelAlias, options]] });
  open.push(gw);
  return { mock, gw };
}

it('rewrites an aliased model and leaves other bodies byte for byte', async () => {
  const { mock, gw } = await setup({ aliases: { fast: 'gpt-5-mini' } });
  await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{"model":"fast","input":[]}' })).text();
  await (await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{"model":"other",  "input":[]}' })).text();
  expect(mock.requests[0].json().model).toBe('gpt-5-mini');
  expect(mock.requests[1].body.toString()).toBe('{"model":"other",  "input":[]}');
});

it('strict mode refuses unknown models with an OpenAI-shaped 400', async () => {
  const { mock, gw } = await setup({ aliases: { fast: 'gpt-5-mini' }, strict: true });
  const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', body: '{"model":"nope"}' });
  expect(res.status).toBe(400);
  expect((await res.json()).error.code).toBe('model_not_found');
  expect(mock.requests).toHaveLength(0);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authEnvBearer from '../../src/plugins/auth-env-bearer/index.js';
import copilotTools from '../../src/plugins/copilot-tools/index.js';
import copilotUpstream from '../../src/plugins/copilot-upstream/index.js';
import headerInjector from '../../src/plugins/header-injector/index.js';
import { codexFixture } from '../support/fixtures.js';
import { responsesTextStream, sendSse, startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.js';
import { startRouter, type StartedRouter } from '../support/router.js';

const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+hi "there"\n*** End Patch';
let upstream: MockUpstream;
let gw: StartedRouter;

/** What a model on Copilot /responses answers when apply_patch is a function tool with a `patch` field. */
function patchCallStream(name: string): object[] {
  const args = JSON.stringify({ patch: PATCH });
  const item = { id: 'fc_1', type: 'function_call', status: 'completed', name, arguments: args, call_id: 'call_1' };
  return [
    { type: 'response.created', response: { id: 'r1', object: 'response', status: 'in_progress', output: [] } },
    { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } },
    { type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 0, delta: args },
    { type: 'response.function_call_arguments.done', item_id: 'fc_1', output_index: 0, arguments: args },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: { id: 'r1', object: 'response', status: 'completed', output: [item], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } },
  ];
}

beforeAll(async () => {
  upstream = await startMockUpstream((req: RecordedRequest, res) => {
    const body = req.json() as { tools?: { type: string; name?: string }[] };
    const patchTool = body.tools?.find((t) => t.name === 'apply_patch');
    if (patchTool?.type === 'function') return sendSse(res, patchCallStream('apply_patch'));
    return sendSse(res, responsesTextStream('no tools'));
  });
  gw = await startRouter({ plugins: [[copilotUpstream, { responsesUrl: `${upstream.url}/responses` }], headerInjector, [authEnvBearer, { token: 'copilot-test-token-0123456789' }], copilotTools] });
});
afterAll(async () => {
  await gw.close();
  await upstream.close();
});

function events(text: string): { type: string; item?: Record<string, unknown>; response?: { output: Record<string, unknown>[] } }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

describe('copilot-tools', () => {
  it("sends Codex's custom apply_patch as a function tool and hands the call back as a custom_tool_call", async () => {
    const capture = codexFixture('model-gpt-5.5-apply-patch-custom-tool');
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(capture.body) });
    expect(res.status).toBe(200);
    const got = events(await res.text());

    const sent = upstream.requests.at(-1)!.json() as { tools: Record<string, unknown>[] };
    const patch = sent.tools.find((t) => t.name === 'apply_patch')!;
    expect(patch).toMatchObject({ type: 'function', parameters: { type: 'object', required: ['patch'] } });
    expect(String(patch.description)).toContain('grammar');
    expect(sent.tools.filter((t) => t.type === 'custom')).toEqual([]);
    // Every other tool is untouched, in its place.
    expect(sent.tools.map((t) => t.type)).toEqual((capture.body.tools as { type: string }[]).map((t) => (t.type === 'custom' ? 'function' : t.type)));

    expect(got.map((e) => e.type)).not.toContain('response.function_call_arguments.delta');
    const done = got.find((e) => e.type === 'response.output_item.done')!;
    expect(done.item).toEqual({ type: 'custom_tool_call', id: 'fc_1', call_id: 'call_1', name: 'apply_patch', input: PATCH, status: 'completed' });
    expect(got.at(-1)!.response!.output[0]).toMatchObject({ type: 'custom_tool_call', input: PATCH });
  });

  it('turns custom calls and outputs in the history into function calls and outputs', async () => {
    const capture = codexFixture('model-gpt-5.5-apply-patch-custom-tool');
    const input = [
      ...(capture.body.input as unknown[]),
      { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_1', name: 'apply_patch', input: PATCH, status: 'completed' },
      { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Success. Updated the following files:\nA hello.txt' },
    ];
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...capture.body, input }) });
    await res.text();
    const sent = (upstream.requests.at(-1)!.json() as { input: Record<string, unknown>[] }).input.slice(-2);
    expect(sent[0]).toEqual({ type: 'function_call', call_id: 'call_1', name: 'apply_patch', arguments: JSON.stringify({ patch: PATCH }), status: 'completed' });
    expect(sent[1]).toEqual({ type: 'function_call_output', call_id: 'call_1', output: 'Success. Updated the following files:\nA hello.txt' });
  });

  it('leaves a request without custom tools byte for byte as Codex sent it', async () => {
    const body = JSON.stringify({ model: 'gpt-5.1-codex', input: 'hi', stream: true, tools: [{ type: 'function', name: 'exec_command', parameters: { type: 'object' } }] });
    const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await res.text()).toContain('no tools');
    expect(upstream.requests.at(-1)!.body.toString()).toBe(body);
  });
});

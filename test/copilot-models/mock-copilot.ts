import { responsesTextStream, sendJson, sendSse, startMockUpstream, type MockUpstream, type RecordedRequest } from '../support/mock-upstream.js';

/** Copilot's `/models` as the tests see it: a Responses model, a chat-only model, a messages-only model, embeddings. */
export const COPILOT_MODELS = {
  data: [
    {
      id: 'gpt-5.1-codex',
      name: 'GPT-5.1-Codex',
      vendor: 'OpenAI',
      model_picker_enabled: true,
      is_chat_default: false,
      billing: { is_premium: true, multiplier: 1 },
      supported_endpoints: ['/responses'],
      capabilities: {
        type: 'chat',
        family: 'gpt-5.1-codex',
        limits: { max_context_window_tokens: 400000, max_prompt_tokens: 272000, max_output_tokens: 128000, vision: { max_prompt_images: 1 } },
        supports: { streaming: true, tool_calls: true, parallel_tool_calls: true, vision: true, reasoning_effort: ['low', 'medium', 'high'] },
      },
    },
    {
      id: 'claude-sonnet-4.5',
      name: 'Claude Sonnet 4.5',
      vendor: 'Anthropic',
      model_picker_enabled: true,
      is_chat_default: true,
      billing: { is_premium: true, multiplier: 1 },
      supported_endpoints: ['/chat/completions', '/v1/messages'],
      capabilities: {
        type: 'chat',
        family: 'claude-sonnet-4.5',
        limits: { max_context_window_tokens: 144000, max_prompt_tokens: 128000, max_output_tokens: 16000 },
        supports: { streaming: true, tool_calls: true, parallel_tool_calls: true, vision: true, min_thinking_budget: 1024, max_thinking_budget: 12000 },
      },
    },
    { id: 'claude-messages-only', name: 'Messages Only', vendor: 'Anthropic', supported_endpoints: ['/v1/messages'], capabilities: { type: 'chat', limits: {}, supports: {} } },
    { id: 'text-embedding-3-small', name: 'Embedding', capabilities: { type: 'embeddings', limits: { max_inputs: 512 } } },
  ],
};

export interface MockCopilot {
  server: MockUpstream;
  url: string;
  posts(path: string): RecordedRequest[];
  close(): Promise<void>;
}

/** The events of a short Messages answer, as Copilot's `/v1/messages` streams them. */
export const MESSAGES_STREAM = [
  { type: 'message_start', message: { id: 'msg_c1', type: 'message', role: 'assistant', model: 'claude-sonnet-4.5', content: [], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hello from messages' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } },
  { type: 'message_stop' },
];

/** A loopback Copilot: `/models`, `/responses` (one text answer), `/chat/completions` (one text chunk), `/v1/messages` (one text block). */
export async function startMockCopilot(o: { models?: unknown; responses?: (req: RecordedRequest) => object[] } = {}): Promise<MockCopilot> {
  const server = await startMockUpstream((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'GET' && path === '/models') return sendJson(res, 200, o.models ?? COPILOT_MODELS);
    if (path === '/responses') return sendSse(res, o.responses ? o.responses(req) : responsesTextStream('hello from responses'), { headers: { 'x-request-id': 'up-1' } });
    if (path === '/v1/messages') return sendSse(res, MESSAGES_STREAM, { headers: { 'x-request-id': 'up-m1' } });
    if (path === '/chat/completions') {
      return sendSse(res, [{ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'hello from chat' }, finish_reason: null }] }, { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }, '[DONE]'], { eventLines: false });
    }
    return sendJson(res, 404, { error: { message: 'not found' } });
  });
  return {
    server,
    url: server.url,
    posts: (path) => server.requests.filter((r) => r.method === 'POST' && r.url.split('?')[0] === path),
    close: () => server.close(),
  };
}

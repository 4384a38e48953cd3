// The bench's upstream, run as its own process: `node bench/mock-upstream.mjs` prints `listening <port>`.
// It speaks Responses SSE on any path, Chat Completions SSE on `.../chat/completions` and Anthropic Messages SSE on
// `.../v1/messages`. The scenario is the request's model name, so it survives every chain (the translators rewrite
// the path, never the model):
//   bench-small              a five-event answer at once
//   bench-events-<n>         n text deltas as fast as the socket takes them
//   bench-paced-<ms>-<n>     n deltas, one every <ms> ms, the first after <ms> ms
import { createServer } from 'node:http';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function scenario(body) {
  const at = body.indexOf('"model"');
  const match = at < 0 ? null : body.subarray(at, at + 200).toString('latin1').match(/^"model"\s*:\s*"([^"]+)"/);
  const parts = (match?.[1] ?? 'bench-small').split('-');
  if (parts[1] === 'events') return { count: Number(parts[2]) || 100, gapMs: 0 };
  if (parts[1] === 'paced') return { count: Number(parts[3]) || 5, gapMs: Number(parts[2]) || 20 };
  return { count: 1, gapMs: 0 };
}

const sse = (type, payload) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
const responses = {
  head: () =>
    sse('response.created', { response: { id: 'resp_bench', object: 'response', status: 'in_progress', output: [] } }) +
    sse('response.output_item.added', { output_index: 0, item: { id: 'msg_bench', type: 'message', role: 'assistant', status: 'in_progress', content: [] } }),
  delta: (i) => sse('response.output_text.delta', { item_id: 'msg_bench', output_index: 0, content_index: 0, delta: `token ${i} ` }),
  tail: () => {
    const item = { id: 'msg_bench', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'bench', annotations: [] }] };
    return (
      sse('response.output_item.done', { output_index: 0, item }) +
      sse('response.completed', { response: { id: 'resp_bench', object: 'response', status: 'completed', output: [item], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } } })
    );
  },
};
const chunk = (delta, finish) => `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: 'bench', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const chat = {
  head: () => chunk({ role: 'assistant', content: '' }, null),
  delta: (i) => chunk({ content: `token ${i} ` }, null),
  tail: () =>
    chunk({}, 'stop') +
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 0, model: 'bench', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\n\n` +
    'data: [DONE]\n\n',
};

const event = (type, payload) => `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
const messages = {
  head: () =>
    event('message_start', { message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench', content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } } }) +
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  delta: (i) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `token ${i} ` } }),
  tail: () => event('content_block_stop', { index: 0 }) + event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) + event('message_stop', {}),
};

async function answer(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"bench","object":"model"}]}');
    return;
  }
  const { count, gapMs } = scenario(Buffer.concat(chunks));
  const format = req.url.includes('/chat/completions') ? chat : req.url.includes('/v1/messages') ? messages : responses;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (gapMs) await sleep(gapMs);
  res.write(format.head());
  for (let i = 0; i < count; i += 1) {
    if (res.destroyed) return;
    if (gapMs && i > 0) await sleep(gapMs);
    if (!res.write(format.delta(i))) await new Promise((r) => res.once('drain', r));
  }
  res.end(format.tail());
}

const server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

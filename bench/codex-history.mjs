// A long Codex session as the bench sends it: the recorded Codex 0.169 tool-loop request (its instructions, tool
// definitions and first tool call, from ../shared/fixtures/codex-0.169), followed by turns built from the pieces of the
// recorded bodies: a user message, then tool cycles of a reasoning item (summary text and `encrypted_content` sealed
// as the translator under test seals its own, so it opens each one as it would in a real session), a function call
// and its output, and an assistant message. Every text is a different slice of the recorded texts, so no item is a
// copy of another and none is one large string.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const historyFixtures = (root) => join(root, '..', 'shared', 'fixtures', 'codex-0.169');

/** The recorded bodies, or a reason the history rows are skipped. */
export function loadRecorded(root) {
  const dir = historyFixtures(root);
  const file = join(dir, 'tool-loop-turn2-with-function-call-output.json');
  if (!existsSync(file)) return { skip: `the recorded Codex bodies are not at ${dir} (the shared fixtures are not checked out next to the repository)` };
  const turn2 = JSON.parse(readFileSync(file, 'utf8')).body;
  const turn1 = JSON.parse(readFileSync(join(dir, 'tool-loop-turn1.json'), 'utf8')).body;
  return { turn1, turn2 };
}

/** The carrier each translator seals its own reasoning with, from the build (keys are the defaults, as in the bench's chains). */
export async function sealers(root) {
  const chat = await import(pathToFileURL(join(root, 'dist', 'src', 'plugins', 'chat-translator', 'reasoning-carrier.js')).href);
  const messages = await import(pathToFileURL(join(root, 'dist', 'src', 'plugins', 'messages-translator', 'carrier.js')).href).catch(() => undefined);
  return {
    chat: (text, model) => chat.encodeCarrier({ text, field: 'reasoning_content', model }),
    messages: messages ? (text, model, signature) => messages.sealThinking({ blocks: [{ type: 'thinking', thinking: text, signature }], model }) : undefined,
  };
}

function textsOf(recorded) {
  const texts = [];
  for (const item of recorded.turn1.input) for (const part of Array.isArray(item.content) ? item.content : []) if (typeof part.text === 'string') texts.push(part.text);
  for (const tool of recorded.turn1.tools) if (typeof tool.description === 'string') texts.push(tool.description);
  // Paragraphs of the recorded prompts and tool descriptions: the material every generated text is cut from.
  return texts.join('\n\n').split(/\n{2,}/).filter((p) => p.trim().length > 20);
}

/**
 * A Codex request of about `targetBytes` with `model` (the mock's scenario) whose history is `turns` long enough to
 * reach that size; `seal(text, model, signature)` makes a reasoning item's `encrypted_content`.
 */
export function historyBody(recorded, { model, targetBytes, seal }) {
  const paragraphs = textsOf(recorded);
  const prefix = recorded.turn2.input;
  const echoed = prefix.find((i) => i.type === 'function_call');
  const output = prefix.find((i) => i.type === 'function_call_output');
  const header = output.output.slice(0, output.output.indexOf('Output:\n') + 'Output:\n'.length);
  const user = recorded.turn1.input.at(-1);
  let cursor = 0;
  const take = (bytes) => {
    let text = '';
    while (text.length < bytes) {
      text += `${paragraphs[cursor % paragraphs.length]}\n`;
      cursor += 1;
    }
    return text;
  };
  const input = [...prefix];
  const body = { ...recorded.turn2, model, input };
  let size = JSON.stringify(body).length;
  let n = 0;
  const push = (item) => {
    input.push(item);
    size += JSON.stringify(item).length + 1;
  };
  while (size < targetBytes) {
    n += 1;
    push({ ...user, id: `msg_bench_${n}`, content: [{ type: 'input_text', text: take(80) }] });
    for (let cycle = 0; cycle < 3; cycle += 1) {
      const callId = `call_bench_${n}_${cycle}`;
      const summary = take(200);
      const signature = Buffer.from(take(300)).toString('base64').slice(0, 400);
      push({ type: 'reasoning', summary: [{ type: 'summary_text', text: summary }], content: null, encrypted_content: seal(`${summary}${take(600)}`, model, signature) });
      push({ ...echoed, id: `fc_bench_${n}_${cycle}`, call_id: callId, arguments: JSON.stringify({ cmd: `sed -n ${n},${n + 40}p src/file-${cycle}.ts`, workdir: '/home/user/project' }) });
      push({ ...output, id: `fco_bench_${n}_${cycle}`, call_id: callId, output: `${header}${take(cycle === 2 ? 3000 : 900)}` });
    }
    push({ type: 'message', role: 'assistant', id: `msg_bench_a${n}`, content: [{ type: 'output_text', text: take(400), annotations: [] }] });
  }
  input.push({ ...user, id: 'msg_bench_last', content: [{ type: 'input_text', text: 'Continue.' }] });
  const text = JSON.stringify(body);
  return { text, items: input.length };
}

/** The same history as session `n` sends it: its first user message has its own id, nothing else differs. */
export function sessionVariant(text, n) {
  return text.replace('"id":"msg_bench_1"', `"id":"msg_bench_1_s${n}"`);
}

/**
 * `sessions` Codex sessions of `turns` requests each, as they arrive turn after turn: the first of about
 * `targetBytes`, each next one the request before with the items of one more step (a tool round, or a user message
 * and the round after it), ending where Codex's requests end (after a call's output or a user message).
 */
export function growingSessions(recorded, { model, targetBytes, seal, sessions, turns }) {
  const { text } = historyBody(recorded, { model, targetBytes: targetBytes + turns * 12 * 1024, seal });
  const body = JSON.parse(text);
  const input = body.input;
  const ends = [];
  let size = text.length - JSON.stringify(input).length;
  for (let i = 0; i < input.length; i++) {
    size += JSON.stringify(input[i]).length + 1;
    const item = input[i];
    if (size >= targetBytes && (item.type === 'function_call_output' || item.role === 'user')) ends.push(i + 1);
  }
  if (ends.length < turns) throw new Error(`the history has ${ends.length} turns past ${targetBytes} bytes, not ${turns}`);
  const out = [];
  for (let s = 0; s < sessions; s++) {
    const own = input.map((item) => (item.id === 'msg_bench_1' ? { ...item, id: `msg_bench_1_s${s}` } : item));
    out.push(ends.slice(0, turns).map((end) => Buffer.from(JSON.stringify({ ...body, input: own.slice(0, end) }))));
  }
  return out;
}

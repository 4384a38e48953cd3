import type { Recording } from '../support/recordings.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a recording says, read whole and plainly, for comparison with what the streaming translator made of it. */
export interface Expected {
  status: 'completed' | 'incomplete' | 'failed';
  /** The in-stream error object, when the upstream sent one. */
  error?: Json;
  /** The `response.failed` code that error must give (`codex-contract.md` §3.4): final or retried as Codex reads it. */
  errorCode?: string;
  incompleteReason?: string;
  text: string;
  refusal: string;
  reasoning: string;
  calls: { call_id?: string; name: string; arguments: string }[];
  usage?: Json;
  /** Encrypted reasoning blobs (OpenRouter `reasoning_details` of type `reasoning.encrypted`). */
  encrypted: string[];
  /** url citations: OpenRouter annotations and Perplexity `citations`. */
  citations: string[];
}

export function expectedOf(recording: Recording, o: { thinkTags: boolean }): Expected {
  const chunks = recording.kind === 'completion' ? completionAsChunk(recording.completion as Json) : (recording.chunks as Json[]);
  const out: Expected = { status: 'completed', text: '', refusal: '', reasoning: '', calls: [], encrypted: [], citations: [] };
  const calls = new Map<number, { call_id?: string; name: string; arguments: string }>();
  let finish: string | undefined;
  for (const chunk of chunks) {
    if (chunk.error && !out.error) out.error = chunk.error;
    if (chunk.usage ?? chunk.x_groq?.usage) out.usage = chunk.usage ?? chunk.x_groq.usage;
    if (Array.isArray(chunk.citations)) for (const url of chunk.citations as string[]) if (!out.citations.includes(url)) out.citations.push(url);
    for (const choice of (chunk.choices ?? []) as Json[]) {
      const delta = (choice.delta ?? choice.message ?? {}) as Json;
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === 'string') out.reasoning += reasoning;
      if (typeof delta.content === 'string') out.text += delta.content;
      else if (Array.isArray(delta.content)) {
        for (const part of delta.content as Json[]) {
          if (part.type === 'thinking') out.reasoning += ((part.thinking ?? []) as Json[]).map((p) => p.text as string).join('');
          else if (typeof part.text === 'string') out.text += part.text;
        }
      }
      if (typeof delta.refusal === 'string') out.refusal += delta.refusal;
      for (const detail of (delta.reasoning_details ?? []) as Json[]) if (detail.type === 'reasoning.encrypted' && detail.data) out.encrypted.push(detail.data as string);
      for (const a of (delta.annotations ?? []) as Json[]) if (a.type === 'url_citation' && !out.citations.includes(a.url_citation?.url as string)) out.citations.push(a.url_citation.url as string);
      ((delta.tool_calls ?? []) as Json[]).forEach((tc, position) => {
        const slot = typeof tc.index === 'number' ? (tc.index as number) : position;
        const call = calls.get(slot) ?? { name: '', arguments: '' };
        calls.set(slot, call);
        if (!call.call_id && tc.id) call.call_id = tc.id as string;
        // Names come whole in every recording: once, or again (empty or equal) on later chunks.
        if (!call.name && tc.function?.name) call.name = tc.function.name as string;
        const args = tc.function?.arguments;
        call.arguments += typeof args === 'string' ? args : args ? JSON.stringify(args) : '';
      });
      if (choice.finish_reason && !finish) finish = choice.finish_reason as string;
    }
  }
  if (o.thinkTags) {
    const match = /^\s*<think>([\s\S]*?)(?:<\/think>\s*([\s\S]*))?$/.exec(out.text);
    if (match) {
      out.reasoning += match[1];
      out.text = match[2] ?? '';
    }
  }
  out.calls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => ({ ...c, arguments: c.arguments.trim() ? c.arguments : '{}' }));
  if (out.error) {
    out.status = 'failed';
    out.errorCode = errorCodeOf(out.error);
  }
  else if (finish === 'length') {
    out.status = 'incomplete';
    out.incompleteReason = 'max_output_tokens';
  }
  return out;
}

function completionAsChunk(completion: Json): Json[] {
  return [{ ...completion, choices: ((completion.choices ?? []) as Json[]).map((c) => ({ ...c, delta: c.message })) }];
}

/** The status an in-stream error carries (Groq `status_code`, OpenRouter a numeric `code`) → the code Codex acts on. */
function errorCodeOf(error: Json): string {
  const status = [error.status_code, error.code, error.status].find((v) => typeof v === 'number') as number | undefined;
  const message = String(error.message ?? '');
  if (error.code === 'context_length_exceeded' || /context[ _-]?(length|window)|maximum context/i.test(message)) return 'context_length_exceeded';
  if (status === 429) return 'rate_limit_exceeded';
  if (status !== undefined && status >= 500) return 'upstream_error';
  if (status !== undefined && status >= 400) return 'invalid_prompt';
  return 'upstream_stream_error';
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFixtures } from './fixtures.js';

/**
 * The recordings of what real Chat Completions providers sent (`shared/fixtures/real-provider-streams/`, third-party
 * data kept out of the repository), read the way its README says to serve them.
 */
export const recordingsDir = sharedFixtures('real-provider-streams');

export interface Recording {
  name: string;
  kind: 'stream' | 'completion';
  provider: string;
  features: string[];
  /** Stream recordings: each SSE event as written (`data: …\n\n`, comments and `event:` lines kept). */
  events: string[];
  /** Whether the recording ends with `data: [DONE]`. */
  done: boolean;
  /** Parsed `data:` payloads, `[DONE]` left out (for stream recordings). */
  chunks: unknown[];
  /** The `chat.completion` body (completion recordings). */
  completion?: unknown;
}

interface IndexEntry {
  name: string;
  kind: string;
  provider: string;
  format: string;
  file: string;
  features: string[];
}

let cached: Recording[] | undefined;

export function recordings(): Recording[] {
  if (cached) return cached;
  const index = JSON.parse(readFileSync(join(recordingsDir.dir, 'INDEX.json'), 'utf8')) as IndexEntry[];
  cached = index.map((entry) => {
    const text = readFileSync(join(recordingsDir.dir, entry.file), 'utf8');
    const base = { name: entry.name, provider: entry.provider, features: entry.features };
    if (entry.format === 'json') return { ...base, kind: 'completion', events: [], done: false, chunks: [], completion: JSON.parse(text) as unknown };
    const noDone = entry.features.some((f) => f.toLowerCase() === 'no-done');
    const events = entry.format === 'sse' ? sseEvents(text) : [...text.split('\n').filter((l) => l.trim()).map((l) => `data: ${l}\n\n`), ...(noDone ? [] : ['data: [DONE]\n\n'])];
    const payloads = events.flatMap(dataOf);
    return { ...base, kind: 'stream', events, done: payloads.at(-1) === '[DONE]', chunks: payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as unknown) };
  });
  return cached;
}

/** Raw SSE text → its events, each with the blank line that ends it. */
function sseEvents(text: string): string[] {
  const normalized = text.replace(/\r\n/g, '\n');
  const out: string[] = [];
  for (const block of normalized.split(/\n\n+/)) if (block.trim()) out.push(`${block}\n\n`);
  return out;
}

function dataOf(event: string): string[] {
  const lines = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''));
  return lines.length ? [lines.join('\n')] : [];
}

/** The same events without `data: [DONE]` (a provider that ends with EOF). */
export function withoutDone(events: string[]): string[] {
  return events.filter((e) => dataOf(e)[0] !== '[DONE]');
}

/**
 * Every event cut into byte pieces at the awkward places: inside `data:`, inside a multi-byte character, and between
 * the two newlines that end it.
 */
export function awkwardPieces(events: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const event of events) {
    const bytes = Buffer.from(event, 'utf8');
    const cuts = new Set<number>();
    const data = event.indexOf('data:');
    if (data >= 0) cuts.add(Buffer.byteLength(event.slice(0, data)) + 3);
    const multi = [...event].findIndex((ch) => Buffer.byteLength(ch) > 1);
    if (multi >= 0) cuts.add(Buffer.byteLength([...event].slice(0, multi).join('')) + 1);
    cuts.add(bytes.length - 1);
    let from = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      if (cut <= from || cut >= bytes.length) continue;
      out.push(bytes.subarray(from, cut));
      from = cut;
    }
    out.push(bytes.subarray(from));
  }
  return out;
}

/** The function names a recording calls: the request must declare them as tools. */
export function calledTools(recording: Recording): string[] {
  const names = new Set<string>();
  const read = (calls: unknown) => {
    if (!Array.isArray(calls)) return;
    for (const call of calls as { function?: { name?: unknown } }[]) if (typeof call?.function?.name === 'string' && call.function.name) names.add(call.function.name);
  };
  for (const chunk of recording.chunks as { choices?: { delta?: { tool_calls?: unknown } }[] }[]) for (const choice of chunk?.choices ?? []) read(choice?.delta?.tool_calls);
  for (const choice of (recording.completion as { choices?: { message?: { tool_calls?: unknown } }[] } | undefined)?.choices ?? []) read(choice?.message?.tool_calls);
  return [...names];
}

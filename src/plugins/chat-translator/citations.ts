import { isObject, type JsonObject } from '../../index.js';

// Web citations in Chat streams, as Responses `url_citation` annotations of the answer's output_text
// ({type, url, title, start_index, end_index}).

/** OpenAI and OpenRouter: `delta.annotations[]` of `{type:"url_citation", url_citation:{url,title,start_index,end_index}}`. */
export function chatAnnotation(annotation: unknown): JsonObject | undefined {
  if (!isObject(annotation) || annotation.type !== 'url_citation') return undefined;
  const c = isObject(annotation.url_citation) ? annotation.url_citation : annotation;
  if (typeof c.url !== 'string' || !c.url) return undefined;
  return { type: 'url_citation', url: c.url, title: typeof c.title === 'string' ? c.title : '', start_index: index(c.start_index), end_index: index(c.end_index) };
}

/**
 * Perplexity: top-level `citations` (URLs, numbered from 1 as the `[n]` markers in the text) and `search_results`
 * (with titles), repeated on every chunk. Each becomes an annotation over its first `[n]` marker (0-0 without one).
 */
export function numberedCitations(citations: readonly unknown[], searchResults: unknown, text: string): JsonObject[] {
  const titles = new Map<string, string>();
  if (Array.isArray(searchResults)) for (const r of searchResults as unknown[]) if (isObject(r) && typeof r.url === 'string' && typeof r.title === 'string') titles.set(r.url, r.title);
  const out: JsonObject[] = [];
  citations.forEach((url, i) => {
    if (typeof url !== 'string' || !url) return;
    const marker = `[${i + 1}]`;
    const at = text.indexOf(marker);
    out.push({ type: 'url_citation', url, title: titles.get(url) ?? '', start_index: at < 0 ? 0 : at, end_index: at < 0 ? 0 : at + marker.length });
  });
  return out;
}

function index(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

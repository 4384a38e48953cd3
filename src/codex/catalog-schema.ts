import { Ajv, type ErrorObject } from 'ajv';
import type { ModelCatalog } from './catalog.js';

// What Codex 0.169.0 requires of a catalogue, found by feeding it entries through `model_catalog_json` one change at a
// time: a single entry that breaks any of these rules makes Codex reject the whole file or `/models` response.
const int = { type: 'integer' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;

const modelInfoSchema = {
  type: 'object',
  required: [
    'slug', 'display_name', 'supported_reasoning_levels', 'shell_type', 'visibility', 'supported_in_api', 'priority',
    'support_verbosity', 'truncation_policy', 'experimental_supported_tools',
  ],
  anyOf: [
    { required: ['base_instructions'] },
    { required: ['model_messages'], properties: { model_messages: { type: 'object', required: ['instructions_template'] } } },
  ],
  properties: {
    slug: nonEmpty,
    display_name: { type: 'string' },
    description: { type: ['string', 'null'] },
    visibility: { enum: ['list', 'hide', 'none'] },
    supported_in_api: { type: 'boolean' },
    priority: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
    supported_reasoning_levels: {
      type: 'array',
      items: { type: 'object', required: ['effort', 'description'], properties: { effort: nonEmpty, description: { type: 'string' } } },
    },
    default_reasoning_level: { anyOf: [nonEmpty, { type: 'null' }] },
    default_reasoning_summary: { enum: ['auto', 'concise', 'detailed', 'none'] },
    shell_type: { enum: ['default', 'local', 'shell_command', 'unified_exec', 'disabled'] },
    support_verbosity: { type: 'boolean' },
    default_verbosity: { enum: ['low', 'medium', 'high', null] },
    apply_patch_tool_type: { enum: ['freeform', null] },
    web_search_tool_type: { enum: ['text', 'text_and_image'] },
    truncation_policy: {
      type: 'object',
      required: ['mode', 'limit'],
      properties: { mode: { enum: ['bytes', 'tokens'] }, limit: int },
    },
    experimental_supported_tools: { type: 'array', items: { type: 'string' } },
    supports_search_tool: { type: 'boolean' },
    input_modalities: { type: 'array', items: { enum: ['text', 'image', 'audio'] } },
    context_window: { type: ['integer', 'null'] },
    max_context_window: { type: ['integer', 'null'] },
    auto_compact_token_limit: { type: ['integer', 'null'] },
    effective_context_window_percent: int,
    base_instructions: { type: 'string' },
    model_messages: { type: ['object', 'null'], properties: { instructions_template: { type: ['string', 'null'] } } },
    supports_parallel_tool_calls: { type: 'boolean' },
  },
} as const;

const catalogSchema = {
  type: 'object',
  required: ['models'],
  properties: { models: { type: 'array', items: modelInfoSchema } },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile<ModelCatalog>(catalogSchema);

export type CatalogValidation = { valid: true; catalog: ModelCatalog; errors: [] } | { valid: false; errors: string[] };

/**
 * Checks a catalogue (`{"models":[...]}`) against what Codex 0.169 parses. Serve or write a catalogue only when it is
 * valid: Codex drops the whole list (or refuses to start, for `model_catalog_json`) over one bad entry.
 */
export function validateCatalog(value: unknown): CatalogValidation {
  if (validate(value)) {
    const slugs = new Set<string>();
    const dupes = value.models.filter((m) => (slugs.has(m.slug) ? true : (slugs.add(m.slug), false))).map((m) => `/models: duplicate slug "${m.slug}"`);
    return dupes.length ? { valid: false, errors: dupes } : { valid: true, catalog: value, errors: [] };
  }
  return { valid: false, errors: describe(value, validate.errors ?? []) };
}

function describe(value: unknown, errors: readonly ErrorObject[]): string[] {
  const models = (value as { models?: unknown[] } | null)?.models;
  const out = new Set<string>();
  for (const e of errors) {
    // The anyOf branches repeat the same complaint; report the rule instead.
    if (e.keyword === 'required' && e.schemaPath.includes('/anyOf/')) continue;
    const match = /^\/models\/(\d+)/.exec(e.instancePath);
    const slug = match && Array.isArray(models) ? (models[Number(match[1])] as { slug?: unknown } | undefined)?.slug : undefined;
    const entry = match ? `${match[0]}${typeof slug === 'string' ? ` (${slug})` : ''}: ` : '';
    const field = (match ? e.instancePath.slice(match[0].length + 1) : e.instancePath) || (match ? 'entry' : '/');
    if (e.keyword === 'anyOf') out.add(`${entry}needs base_instructions or model_messages.instructions_template`);
    else if (e.keyword === 'enum') out.add(`${entry}${field} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`);
    else out.add(`${entry}${field} ${e.message ?? 'is invalid'}`);
  }
  return [...out];
}

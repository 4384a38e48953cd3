import { createHash, createHmac } from 'node:crypto';

// The rules the Anthropic Messages API applies to a request, as the mock enforces them (docs/messages-translator.md
// lists where each comes from). A broken rule is the API's 400 `invalid_request_error` with a message in its words.

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const USER_BLOCKS = new Set(['text', 'image', 'tool_result', 'document', 'search_result']);
const ASSISTANT_BLOCKS = new Set(['text', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use', 'web_search_tool_result']);
const MAX_BREAKPOINTS = 4;

/** Signs thinking text the way the mock's answers do, so a block sent back can be checked byte for byte. */
export class ThinkingSigner {
  private readonly redacted = new Set<string>();
  constructor(private readonly secret: string) {}

  sign(thinking: string): string {
    return `mocksig_${createHmac('sha256', this.secret).update(thinking).digest('base64url')}`;
  }

  verify(thinking: string, signature: unknown): boolean {
    return typeof signature === 'string' && signature === this.sign(thinking);
  }

  issueRedacted(): string {
    const data = `mockredacted_${createHash('sha256').update(`${this.secret}:${this.redacted.size}`).digest('base64url')}`;
    this.redacted.add(data);
    return data;
  }

  knowsRedacted(data: unknown): boolean {
    return typeof data === 'string' && this.redacted.has(data);
  }
}

/** The first rule the request breaks, in the API's words; undefined when it is valid. */
export function checkRequest(body: unknown, signer: ThinkingSigner): string | undefined {
  if (!isObj(body)) return 'request body must be a JSON object';
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return 'stream: Input should be a valid boolean';

  const toolNames = new Set<string>();
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    for (const [i, tool] of (body.tools as unknown[]).entries()) {
      if (!isObj(tool) || typeof tool.name !== 'string') return `tools.${i}.name: Field required`;
      if (tool.type === undefined || tool.type === 'custom') {
        if (!TOOL_NAME.test(tool.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
        if (!isObj(tool.input_schema) || tool.input_schema.type !== 'object') return `tools.${i}.custom.input_schema.type: Input should be 'object'`;
      }
      if (toolNames.has(tool.name)) return `tools: Tool names must be unique.`;
      toolNames.add(tool.name);
    }
  }

  const thinking = body.thinking;
  let thinkingOn = false;
  if (thinking !== undefined) {
    if (!isObj(thinking)) return 'thinking: Input should be an object';
    if (thinking.type === 'enabled') {
      const budget = thinking.budget_tokens;
      if (!Number.isInteger(budget) || (budget as number) < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
      if ((budget as number) >= (body.max_tokens as number)) return '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
      thinkingOn = true;
    } else if (thinking.type === 'adaptive') thinkingOn = true;
    else if (thinking.type !== 'disabled') return `thinking.type: Input should be 'enabled', 'adaptive' or 'disabled'`;
    if (thinkingOn && body.temperature !== undefined && body.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled or in adaptive mode.';
  }

  if (body.tool_choice !== undefined) {
    const choice = body.tool_choice;
    if (!isObj(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice.type))) return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
    if (choice.type === 'tool' && (typeof choice.name !== 'string' || !toolNames.has(choice.name))) return `tool_choice.name: tool ${JSON.stringify(choice.name)} was not provided in tools`;
    if (thinkingOn && (choice.type === 'any' || choice.type === 'tool')) return 'Thinking may not be enabled when tool_choice forces tool use.';
    if (choice.disable_parallel_tool_use !== undefined && typeof choice.disable_parallel_tool_use !== 'boolean') return 'tool_choice.disable_parallel_tool_use: Input should be a valid boolean';
  }

  let breakpoints = 0;
  const countCache = (block: Json, where: string): string | undefined => {
    if (block.cache_control === undefined) return undefined;
    if (!isObj(block.cache_control) || block.cache_control.type !== 'ephemeral') return `${where}.cache_control.type: Input should be 'ephemeral'`;
    breakpoints += 1;
    return undefined;
  };
  for (const [i, tool] of ((body.tools ?? []) as Json[]).entries()) {
    const bad = countCache(tool, `tools.${i}`);
    if (bad) return bad;
  }

  if (body.system !== undefined && typeof body.system !== 'string') {
    if (!Array.isArray(body.system)) return 'system: Input should be a valid string or list';
    for (const [i, block] of (body.system as unknown[]).entries()) {
      if (!isObj(block) || block.type !== 'text' || typeof block.text !== 'string') return `system.${i}: Input should be a text block`;
      if (!block.text) return `system.${i}: text content blocks must be non-empty`;
      const bad = countCache(block, `system.${i}`);
      if (bad) return bad;
    }
  }

  const messages = body.messages as unknown[];
  let pendingToolUses: string[] = [];
  const seenToolUses = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!isObj(message) || (message.role !== 'user' && message.role !== 'assistant')) return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (i === 0 && message.role !== 'user') return 'messages: first message must use the "user" role';
    const previous = i > 0 ? (messages[i - 1] as Json) : undefined;
    if (previous && previous.role === message.role) return `messages: roles must alternate between "user" and "assistant", but found multiple "${String(message.role)}" roles in a row`;
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}: all messages must have non-empty content except for the optional final assistant message`;

    const results: string[] = [];
    const uses: string[] = [];
    let afterResults = false;
    for (const [j, block] of (blocks as unknown[]).entries()) {
      const where = `messages.${i}.content.${j}`;
      if (!isObj(block) || typeof block.type !== 'string') return `${where}.type: Field required`;
      const allowed = message.role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS;
      if (!allowed.has(block.type)) return `${where}.type: '${block.type}' blocks are not allowed in ${String(message.role)} messages`;
      if (block.type === 'text' && (typeof block.text !== 'string' || !block.text)) return `${where}: text content blocks must be non-empty`;
      if (block.type === 'image') {
        const bad = checkImage(block, where);
        if (bad) return bad;
      }
      if (block.type === 'thinking' || block.type === 'redacted_thinking') {
        if (block.cache_control !== undefined) return `${where}.cache_control: cache_control cannot be set for thinking blocks`;
        if (block.type === 'thinking' && (typeof block.thinking !== 'string' || !signer.verify(block.thinking, block.signature))) return `${where}: Invalid \`signature\` in \`thinking\` block`;
        if (block.type === 'redacted_thinking' && !signer.knowsRedacted(block.data)) return `${where}: Invalid \`data\` in \`redacted_thinking\` block`;
      }
      if (block.type === 'tool_use') {
        if (typeof block.id !== 'string' || !block.id) return `${where}.id: Field required`;
        if (seenToolUses.has(block.id)) return `messages: \`tool_use\` ids must be unique, found duplicate ${block.id}`;
        if (typeof block.name !== 'string' || !TOOL_NAME.test(block.name)) return `${where}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`;
        if (toolNames.size === 0) return 'Requests which include `tool_use` or `tool_result` blocks must define tools.';
        if (!isObj(block.input)) return `${where}.input: Input should be a valid dictionary`;
        seenToolUses.add(block.id);
        uses.push(block.id);
      }
      if (block.type === 'tool_result') {
        if (afterResults) return `messages.${i}: tool_result blocks must come first in the user message, before any other content`;
        if (typeof block.tool_use_id !== 'string' || !pendingToolUses.includes(block.tool_use_id)) return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        if (block.content !== undefined && typeof block.content !== 'string') {
          if (!Array.isArray(block.content)) return `${where}.content: Input should be a valid string or list`;
          for (const [k, inner] of (block.content as unknown[]).entries()) {
            if (!isObj(inner) || (inner.type !== 'text' && inner.type !== 'image')) return `${where}.content.${k}: tool_result content must be text or image blocks`;
            if (inner.type === 'text' && (typeof inner.text !== 'string' || !inner.text)) return `${where}.content.${k}: text content blocks must be non-empty`;
            if (inner.type === 'image') {
              const bad = checkImage(inner, `${where}.content.${k}`);
              if (bad) return bad;
            }
          }
        }
        results.push(block.tool_use_id);
      } else afterResults = true;
      const bad = countCache(block, where);
      if (bad) return bad;
    }
    if (message.role === 'user') {
      const missing = pendingToolUses.filter((id) => !results.includes(id));
      if (missing.length) return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      pendingToolUses = [];
    } else {
      pendingToolUses = uses;
      // A continued tool-use turn under thinking must open with the thinking it was produced with.
      const isLast = i === messages.length - 2 || i === messages.length - 1;
      if (thinkingOn && uses.length && isLast) {
        const first = (blocks as Json[])[0]!;
        if (first.type !== 'thinking' && first.type !== 'redacted_thinking') {
          return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first.type)}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks).`;
        }
      }
    }
  }
  if (pendingToolUses.length) return `messages: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pendingToolUses.join(', ')}`;
  if (breakpoints > MAX_BREAKPOINTS) return `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  return undefined;
}

function checkImage(block: Json, where: string): string | undefined {
  const source = block.source;
  if (!isObj(source)) return `${where}.source: Field required`;
  if (source.type === 'base64') {
    if (!IMAGE_TYPES.has(String(source.media_type))) return `${where}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
    if (typeof source.data !== 'string' || !source.data) return `${where}.source.base64.data: Field required`;
    return undefined;
  }
  if (source.type === 'url') return typeof source.url === 'string' && /^https?:\/\//.test(source.url) ? undefined : `${where}.source.url.url: Input should be a valid URL`;
  return `${where}.source.type: Input should be 'base64' or 'url'`;
}

/** Usage the API would report for a request, with prompt caching applied. */
export interface CacheUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** How many blocks before a breakpoint the API looks for an earlier cache entry. */
const LOOKBACK = 20;

/**
 * Prompt caching as the API accounts it: the prompt is a sequence of blocks (tools, then system, then each message's
 * blocks); a breakpoint caches the prefix up to it when that prefix is long enough, and a later request reads the
 * longest cached prefix found at or up to 20 blocks before one of its own breakpoints. Tokens are estimated (four
 * bytes a token), which is enough to measure what a translator's breakpoints achieve.
 */
export class PromptCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly minTokens: number) {}

  account(body: Json): CacheUsage & { promptTokens: number } {
    const blocks = promptBlocks(body);
    let hash = createHash('sha256').update(String(body.model)).digest('hex');
    let total = 0;
    const prefix: { hash: string; tokens: number; breakpoint: boolean }[] = [];
    for (const block of blocks) {
      total += block.tokens;
      hash = createHash('sha256').update(hash).update(block.key).digest('hex');
      prefix.push({ hash, tokens: total, breakpoint: block.breakpoint });
    }
    let read = 0;
    let lastBreakpoint = -1;
    prefix.forEach((p, i) => {
      if (!p.breakpoint) return;
      lastBreakpoint = i;
      for (let j = i; j >= 0 && j > i - LOOKBACK; j--) {
        const cached = this.entries.get(prefix[j]!.hash);
        if (cached !== undefined) {
          read = Math.max(read, cached);
          break;
        }
      }
    });
    let creation = 0;
    if (lastBreakpoint >= 0) {
      for (const p of prefix) if (p.breakpoint && p.tokens >= this.minTokens) this.entries.set(p.hash, p.tokens);
      const written = prefix[lastBreakpoint]!.tokens;
      if (written >= this.minTokens && written > read) creation = written - read;
    }
    return { input_tokens: total - read - creation, cache_creation_input_tokens: creation, cache_read_input_tokens: read, promptTokens: total };
  }

  clear(): void {
    this.entries.clear();
  }
}

interface PromptBlock {
  key: string;
  tokens: number;
  breakpoint: boolean;
}

function promptBlocks(body: Json): PromptBlock[] {
  const out: PromptBlock[] = [];
  const add = (scope: string, block: unknown) => {
    const breakpoint = isObj(block) && block.cache_control !== undefined;
    const plain = isObj(block) ? Object.fromEntries(Object.entries(block).filter(([k]) => k !== 'cache_control')) : block;
    const key = `${scope}:${JSON.stringify(plain)}`;
    out.push({ key, tokens: estimateTokens(key), breakpoint });
  };
  for (const tool of Array.isArray(body.tools) ? body.tools : []) add('tool', tool);
  if (typeof body.system === 'string') add('system', { type: 'text', text: body.system });
  else for (const block of Array.isArray(body.system) ? body.system : []) add('system', block);
  for (const message of Array.isArray(body.messages) ? (body.messages as Json[]) : []) {
    const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? message.content : [];
    for (const block of blocks) add(String(message.role), block);
  }
  return out;
}

export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
}

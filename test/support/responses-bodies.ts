import fc from 'fast-check';

/**
 * Responses request bodies as bytes, for property tests of the texts translators keep as bytes: every item type
 * Codex sends and some it does not, texts short and long, blank, escaped (also otherwise than JSON.stringify
 * escapes), non-ASCII, looking like a marker, repeated; keys in any order, sometimes twice, with or without spaces.
 */

/** A JSON value whose objects are lists of members, so that key order and duplicate keys can be chosen. */
export type Raw = string | number | boolean | null | Raw[] | { members: [string, Raw][] };

const pieces = ['a', 'Hello, world', ' ', '\n', '\t', 'é', '中文', '😀', '"', '\\', '/', '</script>', '\u2028', '\u00a0', '\u0001', 'xyz'];
const pieceArb = fc.constantFrom(...pieces);

/** Texts of any length from a few pieces: repeats are likely, so equal texts meet. */
const plainText = fc.oneof(
  fc.array(pieceArb, { maxLength: 6 }).map((p) => p.join('')),
  fc.tuple(fc.array(pieceArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 80 })).map(([p, n]) => p.join('').repeat(n)),
  fc.constantFrom('', '   ', ' \n\t ', '\u00a0\u3000', 'same assistant text, said again', '中'.repeat(40)),
);

/** How a text is written: as JSON.stringify writes it, or with escapes it never writes. */
const textToken: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: plainText.map((t) => JSON.stringify(t)) },
  { weight: 1, arbitrary: plainText.map((t) => JSON.stringify(t).replace(/\//g, '\\/').replace(/a/g, '\\u0061')) },
  { weight: 1, arbitrary: fc.constantFrom('"\\u0001abc:0\\u0001"', '"\\u00e9t\\u00E9 \\ud83d\\ude00 long enough to be kept, surely"', '"\\"quoted\\" \\\\ and \\b\\f\\r back"') },
);

const id = fc.constantFrom('c1', 'c2', 'c3');
const obj = (members: [string, Raw][]): Raw => ({ members });
const str = (s: string): Raw => s;
const tok = (token: string): Raw => ({ members: [['\u0000token', token]] });

const part: fc.Arbitrary<Raw> = fc.oneof(
  fc.tuple(fc.constantFrom('input_text', 'output_text', 'text', 'summary_text', 'refusal', 'mystery'), textToken).map(([type, text]) => obj([['type', str(type)], ['text', tok(text)]])),
  fc.tuple(fc.constantFrom('input_image', 'image_url'), fc.boolean(), fc.integer({ min: 1, max: 60 })).map(([type, nested, n]) => {
    const url = `data:image/png;base64,${'QUJD'.repeat(n)}`;
    return obj([['type', str(type)], ['image_url', nested ? obj([['url', str(url)]]) : str(url)]]);
  }),
  fc.constant(str('a bare string part')),
);

const content = fc.oneof(textToken.map(tok), fc.array(part, { maxLength: 3 }));

/**
 * Assistant messages from a few texts, whole or split into two parts, as JSON.stringify writes them or escaped
 * otherwise: translators drop an assistant text equal to the one before, so equal texts must be told apart rightly.
 */
const answers = ['The answer, long enough to be kept: a/b', 'Done. "Quoted", and done/undone', 'é 中文 and more, to be kept as bytes'];
const assistantEcho: fc.Arbitrary<Raw> = fc.tuple(fc.constantFrom(...answers), fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.boolean()).map(([text, split, escaped, asString]) => {
  const token = (t: string) => tok(escaped ? JSON.stringify(t).replace(/\//g, '\\/') : JSON.stringify(t));
  const texts = split > 0 && split < text.length ? [text.slice(0, split), text.slice(split)] : [text];
  const content: Raw = asString && texts.length === 1 ? token(texts[0]!) : texts.map((t) => obj([['type', str('output_text')], ['text', token(t)]]));
  return obj([['type', str('message')], ['role', str('assistant')], ['content', content]]);
});

const item: fc.Arbitrary<Raw> = fc.oneof(
  { weight: 3, arbitrary: assistantEcho },
  fc.tuple(fc.constantFrom('user', 'assistant', 'developer', 'system'), content, fc.boolean()).map(([role, c, typed]) => obj([...(typed ? ([['type', str('message')]] as [string, Raw][]) : []), ['role', str(role)], ['content', c]])),
  fc.tuple(id, fc.constantFrom('exec_command', 'shell'), textToken).map(([callId, name, args]) => obj([['type', str('function_call')], ['call_id', str(callId)], ['name', str(name)], ['arguments', tok(args)]])),
  fc.tuple(id, fc.oneof(textToken.map(tok), fc.array(part, { maxLength: 3 }))).map(([callId, output]) => obj([['type', str('function_call_output')], ['call_id', str(callId)], ['output', output]])),
  fc.tuple(id, textToken).map(([callId, input]) => obj([['type', str('custom_tool_call')], ['call_id', str(callId)], ['name', str('apply_patch')], ['input', tok(input)]])),
  fc.tuple(id, textToken).map(([callId, output]) => obj([['type', str('custom_tool_call_output')], ['call_id', str(callId)], ['output', tok(output)]])),
  fc.tuple(textToken, fc.string()).map(([summary, blob]) => obj([['type', str('reasoning')], ['summary', [obj([['type', str('summary_text')], ['text', tok(summary)]])]], ['encrypted_content', str(`foreign.${blob}`)]])),
  fc.tuple(fc.constantFrom('agent_message', 'web_search_call', 'item_reference'), content).map(([type, c]) => obj([['type', str(type)], ['content', c], ['arguments', str('{"a":1}')]])),
);

/** Shuffles each object's members, and now and then repeats one (JSON.parse keeps the last). */
function reshape(raw: Raw, random: () => number): Raw {
  if (Array.isArray(raw)) return raw.map((r) => reshape(r, random));
  if (raw === null || typeof raw !== 'object' || raw.members[0]?.[0] === '\u0000token') return raw;
  const members = raw.members.map(([k, v]): [string, Raw] => [k, reshape(v, random)]);
  for (let i = members.length - 1; i > 0; i--) {
    if (random() < 0.3) {
      const j = Math.floor(random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
  }
  if (members.length && random() < 0.05) members.splice(Math.floor(random() * members.length), 0, members[Math.floor(random() * members.length)]!);
  return { members };
}

function write(raw: Raw, space: string): string {
  if (Array.isArray(raw)) return `[${space}${raw.map((r) => write(r, space)).join(`,${space}`)}${space}]`;
  if (raw === null || typeof raw !== 'object') return JSON.stringify(raw);
  if (raw.members[0]?.[0] === '\u0000token') return raw.members[0][1] as string;
  return `{${space}${raw.members.map(([k, v]) => `${JSON.stringify(k)}${space}:${space}${write(v, space)}`).join(`,${space}`)}${space}}`;
}

/** A Responses request over the size from which texts are kept. */
export const responsesBody: fc.Arbitrary<string> = fc
  .record({
    instructions: textToken,
    input: fc.array(item, { maxLength: 24 }),
    reshape: fc.boolean(),
    space: fc.constantFrom('', '', '', ' ', '\n  '),
    seed: fc.integer(),
  })
  .map(({ instructions, input, reshape: shuffled, space, seed }) => {
    let state = seed >>> 0 || 1;
    const random = () => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state / 2 ** 32;
    };
    // A member no translator reads, long enough that every body is over the size from which texts are kept.
    const padding = `${'metadata, not read. '.repeat(900)}`;
    let body: Raw = obj([['model', str('m')], ['instructions', tok(instructions)], ['input', input], ['stream', true], ['metadata', obj([['note', str(padding)]])]]);
    if (shuffled) body = reshape(body, random);
    return write(body, space);
  });

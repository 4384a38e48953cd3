import { copyFileSync, constants as fsConstants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, patch as patchPreserving, parse as parsePreserving } from '@decimalturn/toml-patch';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { parse as parseStrict, stringify } from 'smol-toml';
import writeFileAtomic from 'write-file-atomic';

/** What `ccrx codex-config --write` puts into Codex's `config.toml`. */
export interface CodexTomlPlan {
  /** Provider id (`ccrx`, `ccrx-<chain>`) → its `[model_providers.<id>]` table. */
  providers: Record<string, Record<string, unknown>>;
  /** The top-level `model_catalog_json`. */
  catalogPath: string;
  /** The provider (and model) Codex should use by default. */
  defaultProvider: string;
  model?: string;
  /** Make `defaultProvider` the default even when the file already names a `model_provider`. */
  setDefault?: boolean;
}

export interface TomlEdit {
  file: string;
  /** The file's text, `undefined` when it does not exist. */
  before: string | undefined;
  after: string;
  changed: boolean;
  /** One line per change, for the user. */
  changes: string[];
  /** Things left alone on purpose that the user may want to know about. */
  notes: string[];
}

/** A `config.toml` that cannot be read or edited safely: reported, never overwritten. */
export class ConfigTomlError extends Error {
  override name = 'ConfigTomlError';
}

/** Provider keys users are invited to tune: written when missing, never overwritten. */
const ROOT_KEYS = ['model_provider', 'model', 'model_catalog_json'];
const TUNABLE = new Set(['name', 'request_max_retries', 'stream_max_retries', 'stream_idle_timeout_ms']);
const NEW_FILE_HEADER = '# Codex configuration (created by `ccrx codex-config --write`).';
const BLOCK_COMMENT = '# codex-code-router gateway (written by `ccrx codex-config --write`)';

type Table = Record<string, unknown>;

/** Reads `file` and computes the edit, without writing anything. Throws ConfigTomlError for a file that does not parse. */
export function prepareCodexToml(file: string, plan: CodexTomlPlan): TomlEdit {
  let before: string | undefined;
  try {
    before = readIfExists(file);
  } catch (err) {
    throw new ConfigTomlError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return { file, before, ...editCodexToml(before, plan, file) };
}

/** The pure edit: `before` (undefined = no file) plus the plan, keeping every comment and foreign setting. */
export function editCodexToml(before: string | undefined, plan: CodexTomlPlan, label = 'config.toml'): Omit<TomlEdit, 'file' | 'before'> {
  if (before === undefined) {
    const doc: Table = {};
    const { changes, notes } = applyPlan(doc, plan, false);
    return { after: `${NEW_FILE_HEADER}\n${stringify(doc)}`, changed: true, changes: ['created the file', ...changes], notes };
  }
  // A byte-order mark is kept but kept out of the way of line-based placement.
  const bom = before.startsWith('\uFEFF') ? '\uFEFF' : '';
  const text = before.slice(bom.length);
  const original = readStrict(text, label);
  const expected = readStrict(text, label);
  const { changes, notes, added } = applyPlan(expected, plan, false);
  if (changes.length === 0) return { after: before, changed: false, changes, notes };

  // The formatting-preserving patcher edits what exists in place. What is new is placed where a person would put it
  // (the patcher would put new top-level keys under the comment that introduces the first table, and new providers
  // as one-line dotted keys at the top): top-level keys after the last top-level key, providers as sections at the end.
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const rootKeys = Object.fromEntries(ROOT_KEYS.filter((k) => original[k] === undefined && expected[k] !== undefined).map((k) => [k, expected[k]]));
  let after = insertRootKeys(text, rootKeys, newline, label);
  const inPlace = readPreserving(after, label);
  // Decided on the original: the inserted model_provider must not stop `model` from following it.
  applyPlan(inPlace, { ...plan, setDefault: plan.setDefault || original.model_provider === undefined }, true);
  after = appendTables(patchPreserving(after, inPlace), added.map((id) => ({ model_providers: { [id]: plan.providers[id] } })), newline);
  if (!parsesTo(after, expected)) {
    // E.g. `model_providers` written as an inline table, which a new section may not extend: let the patcher place it.
    const whole = readPreserving(text, label);
    applyPlan(whole, plan, false);
    after = patchPreserving(text, whole);
    if (!parsesTo(after, expected)) throw new ConfigTomlError(`cannot update ${label} without risking its other settings; it was left untouched. Add the printed block by hand (run without --write).`);
  }
  after = bom + after;
  return { after, changed: after !== before, changes, notes };
}

/** Backs up the old file (only when it changes) and writes the new text atomically, keeping the file's mode. */
export async function commitCodexToml(edit: TomlEdit, now = new Date()): Promise<{ backup?: string }> {
  if (!edit.changed) return {};
  mkdirSync(dirname(edit.file), { recursive: true });
  if (edit.before === undefined) {
    // Codex's config may hold tokens (experimental_bearer_token, headers): private from the start.
    await writeFileAtomic(edit.file, edit.after, { mode: 0o600 });
    return {};
  }
  const backup = backupFile(edit.file, now);
  await writeFileAtomic(edit.file, edit.after, { mode: statSync(edit.file).mode & 0o7777 });
  return { backup };
}

export interface CodexSetupResult {
  file: string;
  plan: CodexTomlPlan;
  catalogText: string;
  created: boolean;
  changed: boolean;
  /** The unified diff of config.toml ('' when unchanged). */
  diff: string;
  backup?: string;
  changes: string[];
  notes: string[];
  catalogChanged: boolean;
}

/**
 * Points Codex at the gateway: the catalogue file plus our blocks in `file` (config.toml). A config.toml that cannot
 * be edited safely throws ConfigTomlError before anything is written; `dryRun` only computes the diff.
 */
export async function writeCodexSetup(o: { file: string; plan: CodexTomlPlan; catalogText: string; dryRun?: boolean }): Promise<CodexSetupResult> {
  const edit = prepareCodexToml(o.file, o.plan);
  const catalogChanged = readIfExists(o.plan.catalogPath) !== o.catalogText;
  const out: CodexSetupResult = { ...o, created: edit.before === undefined, changed: edit.changed, diff: diffCodexToml(edit), changes: edit.changes, notes: edit.notes, catalogChanged };
  if (o.dryRun) return out;
  // The catalogue first: a config.toml naming a catalogue that is not there would stop Codex at start-up.
  if (catalogChanged) await writeCatalogFile(o.plan.catalogPath, o.catalogText);
  return { ...out, ...(await commitCodexToml(edit)) };
}

/** Writes the catalogue unless it already holds this text; true when written. */
export async function writeCatalogFile(path: string, text: string): Promise<boolean> {
  if (readIfExists(path) === text) return false;
  mkdirSync(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
  return true;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A unified diff of the edit, as `--dry-run` shows it. */
export function diffCodexToml(edit: TomlEdit): string {
  if (!edit.changed) return '';
  return createTwoFilesPatch(edit.before === undefined ? '/dev/null' : edit.file, edit.file, edit.before ?? '', edit.after, 'current', 'after --write', { headerOptions: FILE_HEADERS_ONLY });
}

function backupFile(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let n = 1; ; n++) {
    const target = `${file}.bak-${stamp}${n === 1 ? '' : `-${n}`}`;
    try {
      copyFileSync(file, target, fsConstants.COPYFILE_EXCL);
      return target;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

interface Applied {
  changes: string[];
  notes: string[];
  /** Provider ids the file did not have. */
  added: string[];
}

/** Applies the plan to a parsed document; with `skipNew`, providers the document lacks are only reported in `added`. */
function applyPlan(doc: Table, plan: CodexTomlPlan, skipNew: boolean): Applied {
  const out: Applied = { changes: [], notes: [], added: [] };
  const current = doc.model_provider;
  if (current === undefined || plan.setDefault) {
    if (current !== plan.defaultProvider) {
      doc.model_provider = plan.defaultProvider;
      out.changes.push(`model_provider = "${plan.defaultProvider}"${current === undefined ? '' : ` (was "${String(current)}")`}`);
    }
    if (plan.model !== undefined && doc.model !== plan.model) {
      out.changes.push(`model = "${plan.model}"${doc.model === undefined ? '' : ` (was "${String(doc.model)}")`}`);
      doc.model = plan.model;
    }
  } else if (current !== plan.defaultProvider) {
    out.notes.push(`kept model_provider = "${String(current)}"; pass --set-default to make ${plan.defaultProvider} the default`);
  }
  if (doc.model_catalog_json !== plan.catalogPath) {
    out.changes.push(`model_catalog_json = "${plan.catalogPath}"${doc.model_catalog_json === undefined ? '' : ` (was "${String(doc.model_catalog_json)}")`}`);
    doc.model_catalog_json = plan.catalogPath;
  }

  const created = doc.model_providers === undefined;
  if (created) doc.model_providers = {};
  const providers = doc.model_providers;
  if (!isTable(providers)) throw new ConfigTomlError('model_providers in config.toml is not a table; it was left untouched');
  for (const [id, table] of Object.entries(plan.providers)) {
    const existing = providers[id];
    if (existing === undefined) {
      out.added.push(id);
      out.changes.push(`added [model_providers.${id}]`);
      if (!skipNew) providers[id] = structuredClone(table);
    } else if (!isTable(existing)) {
      throw new ConfigTomlError(`model_providers.${id} in config.toml is not a table; it was left untouched`);
    } else if (mergeInto(existing, table, true)) {
      out.changes.push(`updated [model_providers.${id}]`);
    }
  }
  // An empty table added only to hold new providers must not reach the patcher (it would print `model_providers = {}`).
  if (created && skipNew) delete doc.model_providers;
  return out;
}

/** Sets our keys in an existing provider table; the user's extra keys and tuned values stay. */
function mergeInto(target: Table, source: Table, top: boolean): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (isTable(value) && isTable(current)) {
      changed = mergeInto(current, value, false) || changed;
    } else if (!(top && TUNABLE.has(key) && current !== undefined) && !isDeepStrictEqual(normalize(current), normalize(value))) {
      target[key] = structuredClone(value);
      changed = true;
    }
  }
  return changed;
}

/** Inserts new top-level keys after the last top-level key, else above the first table and the comments that lead into it. */
function insertRootKeys(text: string, keys: Table, newline: string, label: string): string {
  if (Object.keys(keys).length === 0) return text;
  const lines = stringify(keys).trimEnd().split('\n');
  const blocks = parseDocument(text).cst;
  const firstTable = blocks.findIndex((b) => b.type !== 'KeyValue' && b.type !== 'Comment');
  const root = firstTable === -1 ? blocks : blocks.slice(0, firstTable);
  const lastKey = root.findLast((b) => b.type === 'KeyValue');
  const source = text.split('\n');
  let at: number; // index in `source` before which the lines go
  if (lastKey) {
    at = lastKey.loc.end.line;
  } else if (firstTable !== -1) {
    let lead = firstTable;
    while (lead > 0 && blocks[lead - 1]!.type === 'Comment' && blocks[lead - 1]!.loc.end.line === blocks[lead]!.loc.start.line - 1) lead--;
    at = blocks[lead]!.loc.start.line - 1;
    lines.push('');
  } else {
    at = source.length - (source.at(-1) === '' ? 1 : 0);
  }
  if (at > source.length) throw new ConfigTomlError(`cannot place new keys in ${label}; it was left untouched`);
  if (at === source.length) return `${text}${newline}${lines.join(newline)}`; // the last line had no newline
  const cr = newline === '\r\n' ? '\r' : '';
  source.splice(at, 0, ...lines.map((l) => `${l}${cr}`));
  return source.join('\n');
}

function appendTables(text: string, tables: Table[], newline: string): string {
  if (tables.length === 0) return text;
  let out = text === '' || text.endsWith('\n') ? text : `${text}${newline}`;
  for (const table of tables) {
    const block = `${BLOCK_COMMENT}\n${stringify(table)}`.replace(/\n/g, newline);
    out += `${out.trim() === '' ? '' : newline}${block}${block.endsWith(newline) ? '' : newline}`;
  }
  return out;
}

function readStrict(text: string, label: string): Table {
  try {
    return parseStrict(text) as Table;
  } catch (err) {
    const detail = (err as Error).message.replace(/^Invalid TOML document: /, '');
    throw new ConfigTomlError(`${label} is not valid TOML, so it was left untouched; fix it and run again:\n${detail}`);
  }
}

function readPreserving(text: string, label: string): Table {
  try {
    return parsePreserving(text) as Table;
  } catch (err) {
    throw new ConfigTomlError(`${label} could not be read for editing, so it was left untouched: ${(err as Error).message.split('\n')[0]}`);
  }
}

function parsesTo(text: string, expected: Table): boolean {
  try {
    return isDeepStrictEqual(normalize(parseStrict(text)), normalize(expected));
  } catch {
    return false;
  }
}

/** Plain data for comparison: parsers differ in prototypes and date classes, not in meaning. */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return { date: value.toISOString() };
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  return value;
}

function isTable(value: unknown): value is Table {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

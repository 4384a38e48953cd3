import { defineCommand } from 'citty';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseToml, stringify } from 'smol-toml';
import type { ResolvedChain, ResolvedConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { buildModelInfo, type ModelCatalog, type ModelInfo } from '../codex/catalog.js';
import { validateCatalog } from '../codex/catalog-schema.js';
import { KEPT_FROM, mergeCatalog, readCatalogBase, type CatalogBase } from '../codex/catalog-base.js';
import { ConfigTomlError, prepareCodexToml, writeCatalogFile, writeCodexSetup, type CodexSetupResult, type CodexTomlPlan } from '../codex/config-toml.js';
import { completeEntries, readModelsAnswer } from '../codex/models-answer.js';
import { checkConfig, loadRouter } from '../router.js';
import { configGatewayUrl } from '../service/url.js';
import { CLIError } from './errors.js';
import { selfCommand } from './self-command.js';

export interface CodexConfigOptions {
  configFile?: string;
  /** Only this chain (`default` is the top level). */
  provider?: string;
  /** Where to write the catalogue. Default `$CODEX_HOME/ccrx-model-catalog.json`. */
  catalogFile?: string;
  /** Top-level `model`. Default: the first model of the selected provider. */
  model?: string;
  /** A file whose text replaces the default base instructions of every entry. */
  instructionsFile?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds per `/models` fetch. Default 5000. */
  fetchTimeoutMs?: number;
  /** Codex's home (config.toml, default catalogue). Default `$CODEX_HOME`, else `~/.codex`. */
  codexHome?: string;
  /** Write the catalogue file. Default true. */
  writeCatalog?: boolean;
}

/** What the catalogue holds besides the gateway's models, and what it cannot keep. */
export interface CatalogMerge {
  /** The gateway's own entries. */
  ours: number;
  /** Entries carried over from what Codex had (its bundled list, or the catalogue config.toml named). */
  carried: number;
  base: CatalogBase['kind'];
  /** Set when nothing Codex had could be read: writing would take every other model's metadata away. */
  loss?: string;
}

export interface CodexConfigResult {
  toml: string;
  catalogPath: string;
  catalog: ModelCatalog;
  /** Human notes (where models came from, what is missing), printed to stderr. */
  notes: string[];
  codexHome: string;
  /** What `--write` puts into config.toml. */
  plan: CodexTomlPlan;
  catalogText: string;
  merge: CatalogMerge;
}

/** The Codex client version the project targets; sent like Codex sends it. */
const CLIENT_VERSION = '0.169.0';
// Codex's own defaults; spelled out so users see what they can tune.
const REQUEST_MAX_RETRIES = 4;
const STREAM_MAX_RETRIES = 5;
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** The chat-translator's `keepAliveMs` default. */
const TRANSLATOR_KEEPALIVE_MS = 10_000;

/** Builds the config.toml text and writes the catalogue for the gateway's chains. */
export async function codexConfig(o: CodexConfigOptions = {}): Promise<CodexConfigResult> {
  const env = o.env ?? process.env;
  // Checked as `ccrx serve` checks it: a bad plugin option is reported as such, not as "no model is known".
  const config = await checkConfig({ configFile: o.configFile, cwd: o.cwd, env });
  const chains = selectChains(config, o.provider);
  const gateway = configGatewayUrl(config);
  const notes: string[] = [];
  const instructions = o.instructionsFile ? readFileSync(resolve(o.cwd ?? process.cwd(), o.instructionsFile), 'utf8') : undefined;

  const fetcher = new ModelsFetcher(config, gateway, o.fetchTimeoutMs ?? 5000, o);
  const perChain = new Map<ResolvedChain, ModelInfo[]>();
  try {
    for (const chain of chains) perChain.set(chain, await chainModels(chain, fetcher, instructions, notes));
  } finally {
    await fetcher.close();
  }

  const models: ModelInfo[] = [];
  for (const [chain, entries] of perChain) {
    for (const entry of entries) {
      if (models.some((m) => m.slug === entry.slug)) notes.push(`model ${entry.slug} of ${chainLabel(chain)} is already listed by an earlier chain; the first entry is kept`);
      else models.push(entry);
    }
  }
  // The chain Codex uses by default: the one asked for, else the first that has models (the built-in Copilot chain
  // last, so a config that only adds providers defaults to them).
  const ranked = [...chains].sort((a, b) => Number(isBuiltinChain(a)) - Number(isBuiltinChain(b)));
  const primary = o.provider !== undefined ? chains[0]! : (ranked.find((c) => (perChain.get(c)?.length ?? 0) > 0) ?? ranked[0]!);
  const model = o.model ?? perChain.get(primary)?.[0]?.slug;
  if (o.model && !models.some((m) => m.slug === o.model)) {
    models.push(buildModelInfo({ slug: o.model, contextWindow: optionsOf(primary).contextWindow, baseInstructions: instructions }));
    notes.push(`model ${o.model} is not reported by ${chainLabel(primary)}; added with default metadata`);
  }
  if (!model) notes.push(`no model known for ${chainLabel(primary)}: start the gateway, or list models in the chain's options, or pass --model`);

  // An empty model_catalog_json would replace Codex's whole model list with nothing.
  if (models.length === 0) {
    throw new CLIError(`no model is known for ${chains.map(chainLabel).join(', ')}, so no catalogue was written: start the gateway with working auth (ccrx login, ccrx start), list models in the chain's options, or pass --model`);
  }
  const checked = validateCatalog({ models });
  if (!checked.valid) throw new CLIError(`the model catalogue would be rejected by Codex:\n${checked.errors.join('\n')}`);
  const codexHome = resolve(o.cwd ?? process.cwd(), o.codexHome ?? (env.CODEX_HOME?.trim() || join(homedir(), '.codex')));
  const catalogPath = resolve(o.cwd ?? process.cwd(), o.catalogFile ?? join(codexHome, 'ccrx-model-catalog.json'));

  // model_catalog_json replaces Codex's model list for every provider: carry over what Codex had.
  const base = await readCatalogBase({ current: currentCatalog(join(codexHome, 'config.toml'), o.cwd), ours: catalogPath, env });
  const merged = mergeCatalog(models, base);
  const merge: CatalogMerge = { ours: models.length, carried: merged.carried, base: base.kind };
  if (base.kind === 'bundled') notes.push(`the catalogue also holds the ${merged.carried} other model(s) Codex had (its bundled list${base.kept.length ? ` and ${base.kept.length} kept from your own catalogue` : ''}), so providers other than the gateway keep their model metadata; run codex-config again after updating Codex`);
  if (base.kind === 'user') notes.push(`config.toml named model_catalog_json = ${base.file}; its ${merged.carried} other model(s) are carried into ${catalogPath} (marked ${KEPT_FROM}), which Codex reads instead; ${base.file} is left as it is`);
  if (merged.replaced.length) notes.push(`${merged.replaced.join(', ')}: the gateway's entr${merged.replaced.length === 1 ? 'y replaces' : 'ies replace'} the one Codex had (one catalogue serves every provider)`);
  if (base.kind === 'unknown') {
    merge.loss = `${base.reason}, so the catalogue would hold only the gateway's ${models.length} model(s); model_catalog_json replaces Codex's model list for every provider, so your other providers (openai included) would lose their model metadata until that line is removed`;
    notes.push(merge.loss);
  }
  const catalog: ModelCatalog = { models: merged.models };
  const catalogText = `${JSON.stringify(catalog, null, 2)}\n`;
  if (o.writeCatalog !== false) await writeCatalogFile(catalogPath, catalogText);

  const document: Record<string, unknown> = { model_provider: providerId(primary) };
  if (model) document.model = model;
  document.model_catalog_json = catalogPath;
  document.model_providers = Object.fromEntries(chains.map((chain) => [providerId(chain), providerTable(chain, gateway, config)]));
  const header = [
    '# codex-code-router: add to ~/.codex/config.toml (top-level keys above the first [table]), or run ccrx codex-config --write.',
    `# The model catalogue (${models.length} gateway model${models.length === 1 ? '' : 's'}${merged.carried ? `, plus ${merged.carried} that Codex had` : ''}) was written to ${catalogPath}.`,
    ...(merge.loss ? ['# Warning: it holds only the gateway\'s models: pointing model_catalog_json at it hides every other model from Codex.'] : []),
    ...(config.server.apiKey ? ['# The gateway requires its local API key: export CCRX_API_KEY=<the key> before starting Codex.'] : []),
  ];
  const plan: CodexTomlPlan = { providers: document.model_providers as CodexTomlPlan['providers'], catalogPath, defaultProvider: providerId(primary), model };
  return { toml: `${header.join('\n')}\n${stringify(document)}\n`, catalogPath, catalog, notes, codexHome, plan, catalogText, merge };
}

/** The `model_catalog_json` config.toml names now, if it can be read (a broken file is reported by `--write`). */
function currentCatalog(file: string, cwd: string | undefined): string | undefined {
  try {
    const value = (parseToml(readFileSync(file, 'utf8')) as { model_catalog_json?: unknown }).model_catalog_json;
    return typeof value === 'string' ? resolve(cwd ?? process.cwd(), value) : undefined;
  } catch {
    return undefined;
  }
}

function selectChains(config: ResolvedConfig, provider: string | undefined): ResolvedChain[] {
  const usable = config.chains.filter((c) => pluginNames(c).length > 0);
  if (provider !== undefined) {
    const chain = config.chains.find((c) => c.provider === provider);
    if (!chain) throw new CLIError(`no provider named ${provider}; the config has: ${config.chains.map((c) => c.provider).join(', ')}`);
    return [chain];
  }
  if (usable.length === 0) throw new CLIError('the config has no chain with plugins; nothing for Codex to use');
  return usable;
}

function isBuiltinChain(chain: ResolvedChain): boolean {
  return chain.prefix === '' && chain.source.file === 'built-in default chain';
}

function providerId(chain: ResolvedChain): string {
  // Prefixed: Codex refuses to redefine its built-in provider ids (openai, ollama, lmstudio, amazon-bedrock).
  return chain.prefix === '' ? 'ccrx' : `ccrx-${chain.provider}`;
}

function chainLabel(chain: ResolvedChain): string {
  return chain.prefix === '' ? 'the top-level chain' : `provider ${chain.provider}`;
}

function providerTable(chain: ResolvedChain, gateway: string, config: ResolvedConfig): Record<string, unknown> {
  const options = optionsOf(chain);
  // Only a chain whose every answer is translated gets keep-alive events; in the Copilot chain the translator is
  // routed (chat-only models), and pass-through Responses streams may be silent for minutes while a model reasons.
  const translatesAll = pluginNames(chain).includes('chat-translator') && Boolean(options.baseUrl ?? options.preset);
  const keepAlive = translatesAll ? (options.keepAliveMs ?? TRANSLATOR_KEEPALIVE_MS) : undefined;
  const table: Record<string, unknown> = {
    name: chain.prefix === '' ? 'codex-code-router' : `codex-code-router (${chain.provider})`,
    base_url: `${gateway}${chain.prefix}/v1`,
    wire_api: 'responses',
    supports_websockets: false,
    request_max_retries: REQUEST_MAX_RETRIES,
    stream_max_retries: STREAM_MAX_RETRIES,
    // A chain that keeps Codex's stream alive sends an event at least every keepAliveMs: a dead stream can then be
    // detected sooner than Codex's 5-minute default without cutting slow but healthy answers.
    stream_idle_timeout_ms: keepAlive === undefined ? DEFAULT_IDLE_TIMEOUT_MS : Math.max(60_000, keepAlive * 6),
  };
  if (config.server.apiKey) table.env_http_headers = { 'x-ccrx-api-key': 'CCRX_API_KEY' };
  if (pluginNames(chain).some((n) => n.includes('copilot'))) {
    // Command auth: Codex re-runs it on a 401 and retries at once (the only provider type that refreshes).
    const [command, ...args] = selfCommand({ env: config.env });
    table.auth = { command, args: [...args, 'print-token'], refresh_interval_ms: 240_000 };
  }
  return table;
}

type Entry = ResolvedChain['entries'][number];

function entryName(entry: Entry): string | undefined {
  if (!entry) return undefined;
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return nameOf(entry[0]);
  if ('plugin' in entry) return entry.enabled === false ? undefined : nameOf(entry.plugin);
  return nameOf(entry);
}

function nameOf(plugin: unknown): string | undefined {
  if (typeof plugin === 'string') return plugin;
  if (typeof plugin === 'object' && plugin !== null && 'name' in plugin) return String((plugin as { name: unknown }).name);
  return undefined; // a factory: its name is only known once called
}

function pluginNames(chain: ResolvedChain): string[] {
  return chain.entries.map(entryName).filter((n): n is string => n !== undefined);
}

interface TranslatorFacts {
  baseUrl?: string;
  preset?: string;
  models?: string[];
  modelMap?: Record<string, string>;
  contextWindow?: number;
  keepAliveMs?: number;
}

/** The chat-translator options of a chain (the facts a catalogue needs when the upstream cannot be asked). */
function optionsOf(chain: ResolvedChain): TranslatorFacts {
  for (const entry of chain.entries) {
    if (entryName(entry) !== 'chat-translator') continue;
    const options = Array.isArray(entry) ? entry[1] : typeof entry === 'object' && entry !== null && 'plugin' in entry ? entry.options : undefined;
    return (options ?? {}) as TranslatorFacts;
  }
  return {};
}

async function chainModels(chain: ResolvedChain, fetcher: ModelsFetcher, instructions: string | undefined, notes: string[]): Promise<ModelInfo[]> {
  const options = optionsOf(chain);
  const found = await fetcher.fetch(chain, notes);
  // Slugs Codex will ask for: the options' list and model-map keys (wildcards cannot be slugs).
  const mapped = Object.entries(options.modelMap ?? {}).filter(([slug]) => !slug.includes('*'));
  const known = (slug: string) => found.entries.some((e) => e.slug === slug) || found.inputs.some((i) => i.slug === slug);
  const upstream = (name: string) => found.inputs.find((i) => i.slug === name) ?? found.entries.find((e) => e.slug === name);
  for (const [slug, target] of mapped) {
    if (known(slug)) continue;
    const facts = upstream(target);
    const window = facts && 'context_window' in facts ? facts.context_window : (facts as { contextWindow?: number } | undefined)?.contextWindow;
    found.inputs.push({ slug, description: `${target} via codex-code-router (${chain.provider})`, contextWindow: typeof window === 'number' ? window : undefined });
  }
  for (const slug of options.models ?? []) if (!known(slug)) found.inputs.push({ slug });
  return completeEntries(found, { baseInstructions: instructions, contextWindow: options.contextWindow });
}

/** Asks the running gateway for each chain's `/models`; when it is not running, an in-process copy on a free port. */
class ModelsFetcher {
  private base: string | undefined;
  private local: Awaited<ReturnType<typeof loadRouter>> | undefined;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly gateway: string,
    private readonly timeoutMs: number,
    private readonly o: CodexConfigOptions,
  ) {}

  async fetch(chain: ResolvedChain, notes: string[]): Promise<ReturnType<typeof readModelsAnswer>> {
    const path = `${chain.prefix}/v1/models?client_version=${CLIENT_VERSION}`;
    try {
      const res = await this.get(path);
      if (!res.ok) {
        notes.push(`${chainLabel(chain)}: GET ${path} answered ${res.status}; using the chain's options`);
        return { entries: [], inputs: [] };
      }
      const found = readModelsAnswer(await res.json());
      notes.push(`${chainLabel(chain)}: ${found.entries.length + found.inputs.length} model(s) from ${this.base}${path}`);
      return found;
    } catch (err) {
      notes.push(`${chainLabel(chain)}: cannot list models (${(err as Error).message}); using the chain's options`);
      return { entries: [], inputs: [] };
    }
  }

  private async get(path: string): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.server.apiKey) headers['x-ccrx-api-key'] = this.config.server.apiKey;
    if (this.base === undefined) {
      try {
        const res = await fetch(`${this.gateway}${path}`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
        this.base = this.gateway;
        return res;
      } catch (err) {
        if (!isConnectionRefused(err)) throw err;
        this.local = await loadRouter({ configFile: this.o.configFile, cwd: this.o.cwd, env: this.o.env, overrides: { host: '127.0.0.1', port: 0 }, logger: createLogger({ level: 'silent' }) });
        this.base = (await this.local.listen()).url;
      }
    }
    return fetch(`${this.base}${path}`, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
  }

  async close(): Promise<void> {
    await this.local?.close();
  }
}

function isConnectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

export interface CodexWriteOptions extends Omit<CodexConfigOptions, 'writeCatalog'> {
  /** Only compute and diff; write nothing. */
  dryRun?: boolean;
  /** Make our provider Codex's default even when config.toml names another. */
  setDefault?: boolean;
  /** Write even when the catalogue would take other providers' model metadata away (`--yes`). */
  yes?: boolean;
  /** Asks the user (a terminal); without it, such a write is refused unless `yes`. */
  confirm?: (question: string) => Promise<boolean>;
}

/** `--write` / `--dry-run`: adds or updates our blocks in `<codex home>/config.toml` and writes the catalogue. */
export async function writeCodexConfig(o: CodexWriteOptions = {}): Promise<CodexSetupResult> {
  const result = await codexConfig({ ...o, writeCatalog: false });
  const file = join(result.codexHome, 'config.toml');
  const plan = { ...result.plan, setDefault: o.setDefault };
  try {
    if (result.merge.loss && !o.dryRun && !o.yes) {
      prepareCodexToml(file, plan); // a config.toml that cannot be edited is the first thing to say
      const agreed = o.confirm ? await o.confirm(`${result.merge.loss}.\nWrite it anyway? [y/N] `) : false;
      if (!agreed) throw new CLIError(`nothing was written: ${result.merge.loss}. Put Codex on PATH (so its bundled list can be read) and run again, or pass --yes to write it anyway`);
    }
    const setup = await writeCodexSetup({ file, plan, catalogText: result.catalogText, dryRun: o.dryRun });
    return { ...setup, notes: [...result.notes, ...setup.notes] };
  } catch (err) {
    if (err instanceof ConfigTomlError) throw new CLIError(err.message);
    throw err;
  }
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export default defineCommand({
  meta: { name: 'codex-config', description: 'Print the Codex config.toml block for this gateway and write its model catalogue; --write puts it into config.toml' },
  args: {
    provider: { type: 'string', description: 'Only this provider chain (default: every chain; "default" is the top level)' },
    config: { type: 'string', alias: 'c', description: 'Config file (default: search router.config.* from the current directory)' },
    catalog: { type: 'string', description: 'Where to write the model catalogue (default: <codex home>/ccrx-model-catalog.json)' },
    model: { type: 'string', description: 'Default model slug for Codex (default: the first model of the provider)' },
    instructions: { type: 'string', description: 'A text file replacing the default base instructions of every model' },
    write: { type: 'boolean', description: 'Add or update the blocks in <codex home>/config.toml, keeping everything else (backup made)' },
    'dry-run': { type: 'boolean', description: 'Show the diff --write would apply; write nothing' },
    'set-default': { type: 'boolean', description: 'With --write: make our provider the default even if config.toml names another' },
    'codex-home': { type: 'string', description: 'Codex home directory (default: $CODEX_HOME, else ~/.codex)' },
    yes: { type: 'boolean', alias: 'y', description: 'With --write: do not ask before writing a catalogue that would hide the models Codex had (when they cannot be read)' },
  },
  async run({ args }) {
    const common = { configFile: args.config, provider: args.provider, catalogFile: args.catalog, model: args.model, instructionsFile: args.instructions, codexHome: args['codex-home'] };
    if (!args.write && !args['dry-run']) {
      const result = await codexConfig(common);
      for (const note of result.notes) process.stderr.write(`ccrx: ${note}\n`);
      process.stdout.write(result.toml);
      return;
    }
    const dryRun = Boolean(args['dry-run']);
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const r = await writeCodexConfig({ ...common, dryRun, setDefault: Boolean(args['set-default']), yes: Boolean(args.yes), confirm: interactive ? ask : undefined });
    for (const note of r.notes) process.stderr.write(`ccrx: ${note}\n`);
    const models = (JSON.parse(r.catalogText) as ModelCatalog).models.length;
    const catalog = `${r.plan.catalogPath} (${models} model${models === 1 ? '' : 's'})`;
    if (dryRun) {
      process.stdout.write(r.diff || `${r.file} is already up to date; --write would change nothing\n`);
      process.stderr.write(`ccrx: dry run, nothing written; the catalogue ${catalog} ${r.catalogChanged ? 'would be written' : 'is up to date'}\n`);
      return;
    }
    if (!r.changed) process.stdout.write(`${r.file} is already up to date; nothing changed\n`);
    else process.stdout.write(`${r.created ? 'created' : 'updated'} ${r.file}:\n${r.changes.map((c) => `  ${c}\n`).join('')}${r.backup ? `backup: ${r.backup}\n` : ''}`);
    process.stdout.write(`catalogue ${catalog}: ${r.catalogChanged ? 'written' : 'unchanged'}\n`);
  },
});

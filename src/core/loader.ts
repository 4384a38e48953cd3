import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from './errors.js';
import { streamHookNames, type Hooks } from './hooks.js';
import { loadModule, resolveModule } from './modules.js';
import type { ChainInfo, EnvBinding, LocalRoute, Plugin, PluginApi, PluginEntry, PluginFactory, PluginHooks, ResponseStoreHandle } from './types.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- plugins of any options type meet here */
type AnyPlugin = Plugin<any>;
type AnyFactory = PluginFactory<any>;

/** Built-in plugins by name, each loaded on first use. */
export type Builtins = Readonly<Record<string, () => Promise<AnyPlugin | AnyFactory>>>;

export interface LoadedPlugin {
  plugin: AnyPlugin;
  options: Record<string, unknown>;
}

export interface ChainSource {
  /** Config file shown in errors (or `built-in default chain`). */
  file: string;
  /** Directory that relative paths and package names resolve from. */
  baseDir: string;
  /** JSON-ish path of the chain in the config, e.g. `plugins` or `providers.deepseek.plugins`. */
  path: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validators = new WeakMap<object, ValidateFunction>();

/** Resolves every entry of a chain to a plugin and its validated options, in config order. */
export async function resolveChain(entries: readonly PluginEntry[], source: ChainSource, builtins: Builtins, env: Readonly<Record<string, string | undefined>>): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const [index, entry] of entries.entries()) {
    const where = `${source.file} > ${source.path}[${index}]`;
    const normalized = normalizeEntry(entry, where);
    if (!normalized || !normalized.enabled) continue;
    const ref = typeof normalized.ref === 'string' ? await resolveRef(normalized.ref, source, builtins, where) : normalized.ref;
    const plugin = typeof ref === 'function' ? (ref as AnyFactory)(normalized.options as never) : ref;
    assertPlugin(plugin, where);
    const label = `${where} (${plugin.name})`;
    const options = withEnvDefaults(plugin, { ...(normalized.options as Record<string, unknown> | undefined) }, env, label);
    validateOptions(plugin, options, label);
    const before = new Set(loaded.map((p) => p.plugin.name));
    for (const dep of plugin.dependencies ?? []) {
      if (!before.has(dep)) throw new ConfigError(`${label} needs plugin "${dep}" earlier in the same chain`);
    }
    loaded.push({ plugin, options });
  }
  return loaded;
}

export interface AppliedChain {
  routes: (LocalRoute & { plugin: string })[];
  /** Whether a plugin without `streamEventsOnDemand` tapped a stream hook: then every event stream is parsed. */
  streamEventsByDefault: boolean;
  /** Whether a plugin asked for the response store (the chain then serves its routes). */
  usesResponseStore: boolean;
}

/** Applies resolved plugins to fresh hooks, each with a tap-only view named after the plugin. */
export async function applyChain(loaded: readonly LoadedPlugin[], hooks: Hooks, log: Logger, chain: ChainInfo, file: string, env: Readonly<Record<string, string | undefined>>, responseStore: () => ResponseStoreHandle): Promise<AppliedChain> {
  const routes: (LocalRoute & { plugin: string })[] = [];
  let streamEventsByDefault = false;
  let usesResponseStore = false;
  const streamTaps = () => streamHookNames.reduce((n, name) => n + hooks[name].taps.length, 0);
  for (const { plugin, options } of loaded) {
    const before = streamTaps();
    const api: PluginApi = {
      hooks: tapOnlyView(hooks, plugin.name),
      log: log.child({ plugin: plugin.name }),
      chain,
      env,
      addRoute: (route) => void routes.push({ ...route, plugin: plugin.name }),
      responseStore: () => {
        usesResponseStore = true;
        return responseStore();
      },
    };
    try {
      await plugin.apply(api, options);
    } catch (err) {
      throw new ConfigError(`${file} > ${chain.provider} chain > ${plugin.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (streamTaps() > before && !plugin.streamEventsOnDemand) streamEventsByDefault = true;
  }
  return { routes, streamEventsByDefault, usesResponseStore };
}

interface NormalizedEntry {
  ref: string | AnyPlugin | AnyFactory;
  options: object | undefined;
  enabled: boolean;
}

function normalizeEntry(entry: PluginEntry, where: string): NormalizedEntry | undefined {
  if (entry === false || entry === null || entry === undefined) return undefined;
  if (typeof entry === 'string') return { ref: entry, options: undefined, enabled: true };
  if (Array.isArray(entry)) {
    const [ref, options] = entry as [unknown, unknown];
    if (typeof ref !== 'string' && typeof ref !== 'function' && !isPluginLike(ref)) throw new ConfigError(`${where} must start with a plugin name or object`);
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw new ConfigError(`${where} options must be an object`);
    return { ref: ref as NormalizedEntry['ref'], options: options as object | undefined, enabled: true };
  }
  if (typeof entry === 'object' && 'plugin' in entry) {
    return { ref: entry.plugin as NormalizedEntry['ref'], options: entry.options, enabled: entry.enabled !== false };
  }
  if (isPluginLike(entry)) return { ref: entry as AnyPlugin, options: undefined, enabled: true };
  throw new ConfigError(`${where} is not a plugin entry: use "name", ["name", options], { plugin, options, enabled } or a plugin object`);
}

async function resolveRef(name: string, source: ChainSource, builtins: Builtins, where: string): Promise<AnyPlugin | AnyFactory> {
  const builtin = builtins[name];
  if (builtin) return builtin();
  let file: string;
  try {
    file = await resolveModule(name, source.baseDir);
  } catch (err) {
    throw new ConfigError(`${where}: plugin "${name}" is neither built-in (${Object.keys(builtins).join(', ')}) nor resolvable from ${source.baseDir}: ${(err as Error).message}`);
  }
  const mod = await loadModule(file).catch((err: unknown) => {
    throw new ConfigError(`${where}: plugin "${name}" failed to load from ${file}: ${(err as Error).message}`, { cause: err });
  });
  if (typeof mod !== 'function' && !isPluginLike(mod)) throw new ConfigError(`${where}: "${name}" (${dirname(file)}) does not export a plugin or plugin factory as default`);
  return mod as AnyPlugin | AnyFactory;
}

function isPluginLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as AnyPlugin).name === 'string' && typeof (value as AnyPlugin).apply === 'function';
}

function assertPlugin(value: unknown, where: string): asserts value is AnyPlugin {
  if (!isPluginLike(value)) throw new ConfigError(`${where}: the plugin factory did not return a plugin ({ name, apply })`);
}

/**
 * Options as a chain entry would get them: explicit values, then the plugin's environment variables, then schema
 * defaults, validated. For commands (such as `ccrx login`) that use a plugin's settings outside a chain.
 */
export function resolvePluginOptions<O extends object>(plugin: Plugin<O>, options: Partial<O>, env: Readonly<Record<string, string | undefined>>): O {
  const label = `${plugin.name} options`;
  const merged = withEnvDefaults(plugin as AnyPlugin, { ...(options as Record<string, unknown>) }, env, label);
  validateOptions(plugin as AnyPlugin, merged, label);
  return merged as O;
}

function validateOptions(plugin: AnyPlugin, options: Record<string, unknown>, label: string): void {
  if (!plugin.schema) return;
  let validate = validators.get(plugin.schema);
  if (!validate) {
    validate = ajv.compile(plugin.schema);
    validators.set(plugin.schema, validate);
  }
  if (!validate(options)) throw new ConfigError(formatAjvErrors(label, validate.errors ?? [], plugin.schema));
}

/** `router.config.ts > plugins[2] (retry-429) > /maxAttempts must be <= 10 (Most attempts per request.)` */
export function formatAjvErrors(label: string, list: readonly ErrorObject[], schema: object): string {
  return list
    .map((e) => {
      const path = e.instancePath || '/';
      const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
      const described = describeProperty(schema, e.instancePath);
      return `${label} > ${path} ${e.message ?? 'is invalid'}${extra}${described ? ` (${described})` : ''}`;
    })
    .join('\n');
}

function describeProperty(schema: object, pointer: string): string | undefined {
  let node: unknown = schema;
  for (const key of pointer.split('/').filter(Boolean)) {
    const props = (node as { properties?: Record<string, unknown> }).properties;
    node = props?.[key];
    if (!node) return undefined;
  }
  return pointer ? (node as { description?: string }).description : undefined;
}

function withEnvDefaults(plugin: AnyPlugin, options: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, label: string): Record<string, unknown> {
  for (const [option, binding] of Object.entries(plugin.env ?? {}) as [string, EnvBinding][]) {
    if (options[option] !== undefined) continue;
    const name = typeof binding === 'string' ? binding : binding.name;
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const type = propertyType(plugin.schema, option);
    const value = typeof binding === 'object' ? binding.parse(raw) : parseEnvValue(raw, type);
    if (value === undefined) throw new ConfigError(`${label} > environment variable ${name} must be ${type === 'boolean' ? 'one of 1, true, yes, on, 0, false, no, off' : `a valid ${type}`}`);
    options[option] = value;
  }
  return options;
}

function propertyType(schema: object | undefined, option: string): string {
  const prop = (schema as { properties?: Record<string, { type?: string | string[] }> } | undefined)?.properties?.[option];
  const type = Array.isArray(prop?.type) ? prop.type[0] : prop?.type;
  return type ?? 'string';
}

/** The original's parsing rules: trimmed; booleans as words; integers unsigned. */
export function parseEnvValue(raw: string, type: string): unknown {
  switch (type) {
    case 'boolean': {
      const word = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(word)) return true;
      if (['0', 'false', 'no', 'off'].includes(word)) return false;
      return undefined;
    }
    case 'integer':
      return /^\d+$/.test(raw) ? Number(raw) : undefined;
    case 'number': {
      const n = Number(raw);
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return raw;
  }
}

function tapOnlyView(hooks: Hooks, pluginName: string): PluginHooks {
  const named = (opts: unknown) => (typeof opts === 'object' && opts !== null ? { ...(opts as object), name: pluginName } : { name: pluginName });
  const view: Record<string, unknown> = {};
  for (const [key, hook] of Object.entries(hooks) as [string, any][]) {
    view[key] = Object.freeze({
      tap: (opts: unknown, fn: unknown) => hook.tap(named(opts), fn),
      ...(typeof hook.tapPromise === 'function' && { tapPromise: (opts: unknown, fn: unknown) => hook.tapPromise(named(opts), fn) }),
      ...(typeof hook.tapAsync === 'function' && { tapAsync: (opts: unknown, fn: unknown) => hook.tapAsync(named(opts), fn) }),
      isUsed: () => hook.taps.length > 0,
    });
  }
  return Object.freeze(view) as unknown as PluginHooks;
}

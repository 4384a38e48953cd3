import { defineCommand } from 'citty';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { ResolvedConfig } from '../core/config.js';
import { isLoopbackHost } from '../core/net.js';
import { isObject, type JsonObject } from '../json/is-object.js';
import { checkConfig } from '../router.js';
import { readPidFile } from '../service/pidfile.js';
import type { ServiceStatus } from '../service/probe.js';
import { statePaths } from '../service/state.js';
import { configGatewayUrl } from '../service/url.js';

export type StepStatus = 'ok' | 'fail' | 'skip' | 'info';

export interface DoctorStep {
  name: string;
  status: StepStatus;
  message: string;
  fix?: string;
}

export interface DoctorOptions {
  configFile?: string;
  /** Gateway URL; default: the running service's (pid file), else the config's host and port. */
  url?: string;
  /** Default: the Codex config's `model`. */
  model?: string;
  /** Send the test request (costs one Copilot request). Default true. */
  request?: boolean;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
}

/**
 * Checks the whole path Codex takes, in order: config, service, health checks, auth, Codex's config, one tiny
 * request. A failed step names what is broken and how to fix it; steps that depend on it are skipped.
 */
export async function runDoctor(o: DoctorOptions = {}): Promise<DoctorStep[]> {
  const env = o.env ?? process.env;
  const steps: DoctorStep[] = [];
  const add = (step: DoctorStep) => steps.push(step);
  const skipRest = (names: string[], why: string) => names.forEach((name) => add({ name, status: 'skip', message: why }));

  let config: ResolvedConfig;
  try {
    config = await checkConfig({ configFile: o.configFile, cwd: o.cwd, env });
    add({ name: 'config', status: 'ok', message: config.file ? `${config.file} is valid (every plugin and option checked)` : 'no config file; the built-in Copilot chain is used' });
  } catch (err) {
    add({ name: 'config', status: 'fail', message: (err as Error).message, fix: 'fix the config file (see docs/config.md)' });
    skipRest(['service', 'health', 'auth', 'codex config', 'request'], 'needs a valid config');
    return steps;
  }

  const url = (o.url ?? serviceUrl(env) ?? configGatewayUrl(config)).replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (config.server.apiKey) headers['x-ccrx-api-key'] = config.server.apiKey;
  const timeoutMs = o.timeoutMs ?? 60_000;
  let status: ServiceStatus;
  try {
    const res = await fetch(`${url}/_ccrx/status`, { headers, signal: AbortSignal.timeout(Math.min(timeoutMs, 5000)) });
    if (!res.ok) throw new Error(`${url}/_ccrx/status answered HTTP ${res.status}`);
    status = (await res.json()) as ServiceStatus;
    add({ name: 'service', status: 'ok', message: `ccrx ${status.version} answers at ${url} (pid ${status.pid})` });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    add({ name: 'service', status: 'fail', message: `no gateway answers at ${url}: ${cause ?? (err as Error).message}`, fix: '`ccrx start` (or `ccrx serve` in a terminal), then `ccrx logs` if it stops' });
    skipRest(['health', 'auth', 'codex config', 'request'], 'needs a running gateway');
    return steps;
  }

  const providers = status.health?.providers ?? {};
  const failing: string[] = [];
  const fixes = new Set<string>();
  const auth: { provider: string; ok: boolean; message?: string; fix?: string }[] = [];
  for (const [provider, p] of Object.entries(providers)) {
    for (const [check, c] of Object.entries(p.checks ?? {})) {
      if (check === 'auth') auth.push({ provider, ok: c.ok, message: c.message, fix: typeof c.fix === 'string' ? c.fix : undefined });
      else if (!c.ok) {
        failing.push(`${provider} > ${check}: ${c.message ?? 'failing'}`);
        if (typeof c.fix === 'string') fixes.add(c.fix);
      } else if (check === 'quota' && c.message) add({ name: 'quota', status: 'info', message: c.message });
    }
  }
  add(failing.length ? { name: 'health', status: 'fail', message: failing.join('; '), ...(fixes.size && { fix: [...fixes].join('; ') }) } : { name: 'health', status: 'ok', message: 'every health check passes' });
  const badAuth = auth.filter((a) => !a.ok);
  if (auth.length === 0) add({ name: 'auth', status: 'skip', message: 'no chain reports an auth check' });
  else if (badAuth.length) add({ name: 'auth', status: 'fail', message: badAuth.map((a) => `${a.provider}: ${a.message ?? 'not ok'}`).join('; '), fix: badAuth.find((a) => a.fix)?.fix ?? 'ccrx login' });
  else add({ name: 'auth', status: 'ok', message: `valid for ${auth.map((a) => a.provider).join(', ')}` });

  const codex = checkCodexConfig(env, url, status);
  add(codex.step);
  if (o.request === false) add({ name: 'request', status: 'skip', message: 'skipped (--no-request)' });
  else if (badAuth.length) add({ name: 'request', status: 'skip', message: 'needs valid auth' });
  else {
    const model = o.model ?? codex.model;
    if (!model) add({ name: 'request', status: 'skip', message: 'no model to try: pass --model or set `model` in the Codex config' });
    else add(await tryRequest(codex.baseUrl ?? `${url}/v1`, model, headers, timeoutMs));
  }
  return steps;
}

function serviceUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const state = readPidFile(statePaths(env));
  return state.kind === 'running' ? state.record.url : undefined;
}

/** Codex's config must select a provider whose base_url is one of this gateway's chains, on the responses wire. */
function checkCodexConfig(env: Readonly<Record<string, string | undefined>>, gateway: string, status: ServiceStatus): { step: DoctorStep; model?: string; baseUrl?: string } {
  const home = env.CODEX_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.codex');
  const file = join(home, 'config.toml');
  const fix = '`ccrx codex-config` prints the block to add to it';
  let doc: JsonObject;
  try {
    doc = parseToml(readFileSync(file, 'utf8')) as JsonObject;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { step: { name: 'codex config', status: 'fail', message: missing ? `${file} does not exist` : `${file} is not valid TOML: ${(err as Error).message.split('\n')[0]}`, fix } };
  }
  const model = typeof doc.model === 'string' ? doc.model : undefined;
  const id = typeof doc.model_provider === 'string' ? doc.model_provider : undefined;
  if (!id) return { model, step: { name: 'codex config', status: 'fail', message: `${file} sets no model_provider, so Codex talks to OpenAI, not to this gateway`, fix } };
  const table = isObject(doc.model_providers) && isObject(doc.model_providers[id]) ? doc.model_providers[id] : undefined;
  const base = table && typeof table.base_url === 'string' ? table.base_url.replace(/\/+$/, '') : undefined;
  if (!base) return { model, step: { name: 'codex config', status: 'fail', message: `${file}: model_provider "${id}" has no [model_providers.${id}] base_url`, fix } };
  const prefixes = (status.chains ?? []).map((c) => c.prefix);
  if (!sameGateway(base, gateway, prefixes)) {
    return { model, step: { name: 'codex config', status: 'fail', message: `${file}: provider "${id}" points at ${base}, not at this gateway (${gateway}${prefixes.length > 1 ? '[/<provider>]' : ''}/v1)`, fix } };
  }
  if (table!.wire_api !== undefined && table!.wire_api !== 'responses') {
    return { model, baseUrl: base, step: { name: 'codex config', status: 'fail', message: `${file}: provider "${id}" uses wire_api = "${String(table!.wire_api)}"; the gateway speaks "responses"`, fix } };
  }
  const twins = Object.entries(isObject(doc.model_providers) ? doc.model_providers : {})
    .filter(([other, t]) => other !== id && isObject(t) && typeof t.base_url === 'string' && sameEndpoint(t.base_url, base))
    .map(([other]) => other);
  if (twins.length > 0) {
    const others = twins.map((t) => `"${t}"`).join(', ');
    return { model, baseUrl: base, step: { name: 'codex config', status: 'fail', message: `${file}: provider${twins.length > 1 ? 's' : ''} ${others} and "${id}" point at the same gateway endpoint ${base}: one chain, two provider blocks (e.g. one pasted from the README and one written by \`ccrx codex-config --write\`)`, fix: `keep [model_providers.${id}] (the one model_provider selects) and remove [model_providers.${twins[0]}]${twins.length > 1 ? ' and the others' : ''}` } };
  }
  const catalog = typeof doc.model_catalog_json === 'string' ? checkCatalog(doc.model_catalog_json, model, file) : undefined;
  if (catalog) return { model, baseUrl: base, step: catalog };
  return { model, baseUrl: base, step: { name: 'codex config', status: 'ok', message: `provider "${id}" → ${base}${model ? `, model ${model}` : ''}` } };
}

/**
 * `model_catalog_json` replaces Codex's model list: a file Codex cannot read stops it at start-up, and a default
 * model it lacks runs on fallback metadata (no apply_patch tool, generic prompt, no context window).
 */
function checkCatalog(path: string, model: string | undefined, file: string): DoctorStep | undefined {
  const fix = '`ccrx codex-config --write` rewrites the catalogue for the gateway\'s models (add `--model <slug>` to choose the default)';
  let slugs: string[];
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { models?: { slug?: unknown }[] };
    if (!Array.isArray(parsed.models)) throw new Error('it has no "models" list');
    slugs = parsed.models.map((m) => m?.slug).filter((s): s is string => typeof s === 'string');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { name: 'codex config', status: 'fail', message: `${file}: model_catalog_json ${path} ${missing ? 'does not exist' : `cannot be read (${(err as Error).message.split('\n')[0]})`}; Codex stops at start-up`, fix };
  }
  if (model !== undefined && !catalogHas(slugs, model)) {
    return { name: 'codex config', status: 'fail', message: `${file}: the default model "${model}" is not in the model catalogue ${path} (${slugs.length} model${slugs.length === 1 ? '' : 's'}${slugs.length ? `: ${slugs.slice(0, 5).join(', ')}${slugs.length > 5 ? ', …' : ''}` : ''}); Codex would run it on fallback metadata, without the apply_patch tool`, fix };
  }
  return undefined;
}

/** Codex's own lookup: the longest catalogue slug the model starts with, or that of its name after one `namespace/`. */
function catalogHas(slugs: readonly string[], model: string): boolean {
  const prefixOf = (name: string) => slugs.some((slug) => name.startsWith(slug));
  if (prefixOf(model)) return true;
  const slash = model.indexOf('/');
  const namespace = model.slice(0, slash);
  const rest = model.slice(slash + 1);
  return slash > 0 && !rest.includes('/') && /^[A-Za-z0-9_-]+$/.test(namespace) && prefixOf(rest);
}

/** Two base URLs that reach the same gateway chain (loopback names alike, trailing slashes ignored). */
function sameEndpoint(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    const host = (u: URL) => (isLoopbackHost(u.hostname.replace(/^\[|\]$/g, '')) ? 'loopback' : u.hostname.toLowerCase());
    const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
    const path = (u: URL) => u.pathname.replace(/\/+$/, '');
    return host(x) === host(y) && port(x) === port(y) && path(x) === path(y);
  } catch {
    return false;
  }
}

function sameGateway(base: string, gateway: string, prefixes: string[]): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(base);
    b = new URL(gateway);
  } catch {
    return false;
  }
  const host = (u: URL) => (isLoopbackHost(u.hostname.replace(/^\[|\]$/g, '')) ? 'loopback' : u.hostname.toLowerCase());
  const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
  if (host(a) !== host(b) || port(a) !== port(b)) return false;
  return prefixes.some((prefix) => a.pathname.replace(/\/+$/, '') === `${prefix}/v1`);
}

/** One short streamed request through the gateway, as Codex would send it; ok only on `response.completed`. */
async function tryRequest(baseUrl: string, model: string, headers: Record<string, string>, timeoutMs: number): Promise<DoctorStep> {
  const body = { model, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with the single word OK.' }] }], stream: true, store: false };
  try {
    const res = await fetch(`${baseUrl}/responses`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 300);
      try {
        message = ((JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message).slice(0, 500);
      } catch {
        // not JSON: show the start of the body
      }
      return { name: 'request', status: 'fail', message: `POST ${baseUrl}/responses (model ${model}) answered HTTP ${res.status}: ${message}`, fix: 'see the message; `ccrx logs` shows the upstream side' };
    }
    if (/"type"\s*:\s*"response\.completed"/.test(text)) return { name: 'request', status: 'ok', message: `model ${model} answered through ${baseUrl}` };
    const failed = /"type"\s*:\s*"(response\.failed|response\.incomplete|error)"[\s\S]*?"message"\s*:\s*"([^"]*)"/.exec(text);
    return { name: 'request', status: 'fail', message: `model ${model}: the stream ended without response.completed${failed ? ` (${failed[1]}: ${failed[2]})` : ''}`, fix: '`ccrx logs` shows the upstream side' };
  } catch (err) {
    return { name: 'request', status: 'fail', message: `POST ${baseUrl}/responses failed: ${(err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message}` };
  }
}

const MARK: Record<StepStatus, string> = { ok: 'ok  ', fail: 'FAIL', skip: 'skip', info: 'info' };

export function formatDoctor(steps: readonly DoctorStep[]): string {
  return steps.map((s) => `[${MARK[s.status]}] ${s.name}: ${s.message}${s.fix ? `\n       fix: ${s.fix}` : ''}`).join('\n');
}

export default defineCommand({
  meta: { name: 'doctor', description: 'Check the whole path: config, service, auth, Codex config, and one tiny request (exit 1 when a step fails)' },
  args: {
    config: { type: 'string', alias: 'c', description: 'Config file (default: search router.config.* from the current directory)' },
    url: { type: 'string', description: 'Gateway URL (default: the running service, else the config host and port)' },
    model: { type: 'string', description: 'Model for the test request (default: the Codex config model)' },
    request: { type: 'boolean', default: true, description: 'Send the test request (it costs one Copilot request); --no-request skips it' },
    json: { type: 'boolean', description: 'Print the steps as JSON' },
  },
  async run({ args }) {
    const steps = await runDoctor({ configFile: args.config, url: args.url, model: args.model, request: args.request });
    process.stdout.write(args.json ? `${JSON.stringify(steps, null, 2)}\n` : `${formatDoctor(steps)}\n`);
    process.exitCode = steps.some((s) => s.status === 'fail') ? 1 : 0;
  },
});

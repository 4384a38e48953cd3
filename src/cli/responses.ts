import { resolve } from 'node:path';
import { defineCommand, type CommandDef } from 'citty';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import { ResponseStore } from '../response-store/index.js';
import { serviceApiKey } from '../service/api-key.js';
import { readPidFile } from '../service/pidfile.js';
import { readServiceOptions, statePaths } from '../service/state.js';
import { CLIError } from './errors.js';

/**
 * `ccrx responses list | show ID | delete ID | prune`: the stored responses (docs/response-store.md). While the
 * background gateway runs it holds the database open, so these go through its local `/_ccrx/responses` route;
 * otherwise the file is opened directly.
 */
interface Target {
  list(chain: string | undefined, limit: number): Promise<unknown>;
  show(id: string): Promise<unknown>;
  remove(id: string): Promise<unknown>;
  prune(): Promise<unknown>;
  close(): void;
}

const common = {
  config: { type: 'string', description: 'Config file whose responseStore settings apply (default: the one start was given, else the one found from here)' },
  url: { type: 'string', description: 'Reach this running gateway (e.g. a foreground ccrx serve) instead of the background service' },
  json: { type: 'boolean', description: 'Print JSON' },
} as const;

async function target(args: { config?: string; url?: string }): Promise<Target> {
  const paths = statePaths();
  const pid = readPidFile(paths);
  const url = args.url ?? (pid.kind === 'running' ? pid.record.url : undefined);
  if (url) return remote(url, await serviceApiKey(paths));
  const stored = readServiceOptions(paths);
  const cwd = stored?.cwd ?? process.cwd();
  const configFile = args.config ?? (stored?.config ? resolve(cwd, stored.config) : undefined);
  const config = await loadConfig({ configFile, cwd, defaults: {} });
  if (!config.responseStore.enabled) throw new CLIError('the response store is turned off in this config (responseStore.enabled: false)');
  const { path, maxResponses, maxBytes, maxAgeDays } = config.responseStore;
  const store = ResponseStore.open(path, { maxResponses, maxBytes, maxAgeMs: maxAgeDays * 86_400_000 }, createLogger({ level: 'silent', pretty: false }));
  if (store.problem) throw new CLIError(`${store.problem.message}${store.problem.reason === 'locked' ? ' (pass --url of that gateway to reach it)' : ''}`);
  return {
    list: async (chain, limit) => ({ status: { file: path, ...store.stats() }, data: store.list({ chain, limit }) }),
    show: async (id) => {
      const chains = store.chainsOf(id);
      if (!chains.length) throw new CLIError(`no stored response ${id}`);
      return chains.map((chain) => {
        const record = store.get(chain, id)!;
        return { chain, createdAt: record.createdAt, previousId: record.previousId ?? null, response: JSON.parse(record.response) as unknown, input: JSON.parse(record.input) as unknown };
      });
    },
    remove: async (id) => {
      const deleted = store.chainsOf(id).filter((chain) => store.delete(chain, id));
      if (!deleted.length) throw new CLIError(`no stored response ${id}`);
      return { id, deleted };
    },
    prune: async () => ({ removed: store.prune(), status: store.stats() }),
    close: () => store.close(),
  };
}

function remote(base: string, apiKey: string | undefined): Target {
  const call = async (method: string, path: string) => {
    const headers: Record<string, string> = apiKey ? { 'x-ccrx-api-key': apiKey } : {};
    let res: Response;
    try {
      res = await fetch(`${base}/_ccrx/responses${path}`, { method, headers, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      throw new CLIError(`cannot reach the gateway at ${base}: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    if (res.status === 404 && path !== '' && !path.startsWith('?')) throw new CLIError(`no stored response ${decodeURIComponent(path.slice(1))}`);
    if (!res.ok) throw new CLIError(`the gateway at ${base} answered ${res.status}: ${body?.error?.message ?? 'no response store on this gateway?'}`);
    return body;
  };
  return {
    list: (chain, limit) => call('GET', `?limit=${limit}${chain ? `&chain=${encodeURIComponent(chain)}` : ''}`),
    show: (id) => call('GET', `/${encodeURIComponent(id)}`),
    remove: (id) => call('DELETE', `/${encodeURIComponent(id)}`),
    prune: () => call('POST', '/prune'),
    close: () => {},
  };
}

async function withTarget(args: { config?: string; url?: string }, run: (t: Target) => Promise<unknown>, print: (value: unknown) => string, json: boolean | undefined): Promise<void> {
  const t = await target(args);
  try {
    const value = await run(t);
    process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${print(value)}\n`);
  } finally {
    t.close();
  }
}

interface Listed {
  id: string;
  chain: string;
  createdAt: number;
  previousId?: string | null;
  bytes: number;
}

const list = defineCommand({
  meta: { name: 'list', description: 'List stored responses, newest first (ids, chains, times and sizes; no content)' },
  args: { ...common, chain: { type: 'string', description: 'Only this chain (provider name; the top level is "default")' }, limit: { type: 'string', description: 'How many (default 50)' } },
  run: ({ args }) =>
    withTarget(
      args,
      (t) => t.list(args.chain, Number(args.limit ?? 50) || 50),
      (value) => {
        const { data } = value as { data: Listed[] };
        if (!data.length) return 'no stored responses';
        return data.map((r) => `${r.id}  ${r.chain}  ${new Date(r.createdAt).toISOString()}  ${r.bytes} B${r.previousId ? `  after ${r.previousId}` : ''}`).join('\n');
      },
      args.json,
    ),
});

const show = defineCommand({
  meta: { name: 'show', description: 'Print one stored response and its input items as JSON' },
  args: { ...common, id: { type: 'positional', description: 'Response id (resp_…)', required: true } },
  run: ({ args }) => withTarget(args, (t) => t.show(args.id), (value) => JSON.stringify(value, null, 2), true),
});

const remove = defineCommand({
  meta: { name: 'delete', description: 'Delete one stored response' },
  args: { ...common, id: { type: 'positional', description: 'Response id (resp_…)', required: true } },
  run: ({ args }) => withTarget(args, (t) => t.remove(args.id), (value) => `deleted ${(value as { id: string }).id}`, args.json),
});

const prune = defineCommand({
  meta: { name: 'prune', description: 'Remove the responses past the configured bounds (count, bytes, age) now' },
  args: common,
  run: ({ args }) => withTarget(args, (t) => t.prune(), (value) => `removed ${(value as { removed: number }).removed}`, args.json),
});

export default defineCommand({
  meta: { name: 'responses', description: 'Stored responses of translated chains: list | show ID | delete ID | prune' },
  subCommands: { list, show, delete: remove, prune } as Record<string, CommandDef>,
});

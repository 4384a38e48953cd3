import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { stripBearer } from './bearer.js';
import { CopilotAuthError } from './errors.js';
import { writePrivateFile } from './private-file.js';

/** The token file as read: the fields the router uses, plus every key as found (kept on rewrite). */
export interface TokenFileData {
  /** GitHub OAuth token; needed to mint new Copilot tokens. Bearer prefix stripped. */
  githubToken: string | undefined;
  /** Copilot session token sent upstream. Bearer prefix stripped; empty when absent. */
  copilotToken: string;
  /** Epoch seconds (milliseconds in the file are converted); undefined = never expires. */
  expiresAt: number | undefined;
  /** Account API base (`https://api.business.githubcopilot.com`), from the legacy `endpoint` field. */
  apiBase: string | undefined;
  /** The parsed object, key for key, as found in the file. */
  raw: Record<string, unknown>;
}

/** Default location: `~/.copilot-tokens.json` (`os.homedir()` follows HOME on Unix). */
function defaultTokenFilePath(): string {
  return join(homedir(), '.copilot-tokens.json');
}

/** An empty option means the default; `~` and relative paths resolve against the home and working directories. */
export function resolveTokenFilePath(option: string | undefined): string {
  const value = (option ?? '').trim();
  if (!value) return defaultTokenFilePath();
  if (value === '~') return homedir();
  if (value.startsWith('~/')) return join(homedir(), value.slice(2));
  return isAbsolute(value) ? value : resolve(value);
}

/** Epoch values above this are milliseconds (the original's rule). */
const MS_THRESHOLD = 10_000_000_000;

function parseExpiresAt(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return n > MS_THRESHOLD ? Math.floor(n / 1000) : n;
}

const CHAT_COMPLETIONS = '/chat/completions';

/** `https://host/chat/completions` → `https://host` when it is a Copilot API host; otherwise undefined. */
function apiBaseFromEndpoint(endpoint: unknown): string | undefined {
  if (typeof endpoint !== 'string') return undefined;
  const base = endpoint.trim().replace(/\/+$/, '');
  return validateApiBase(base.endsWith(CHAT_COMPLETIONS) ? base.slice(0, -CHAT_COMPLETIONS.length) : base);
}

/** Accepts only `https://` URLs on `githubcopilot.com` or a subdomain, without credentials, query or fragment. */
export function validateApiBase(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) return undefined;
  if (host !== 'githubcopilot.com' && !host.endsWith('.githubcopilot.com')) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Parses the file's text. Errors name the file and the JSON position, never its contents. */
export function parseTokenFile(text: string, path: string): TokenFileData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const position = /position \d+/.exec((err as Error).message)?.[0];
    throw new CopilotAuthError('parse_token_file', `failed to parse Copilot token file ${path}: not valid JSON${position ? ` (${position})` : ''}; fix it or run \`ccrx login\` to replace it`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CopilotAuthError('parse_token_file', `failed to parse Copilot token file ${path}: expected a JSON object; fix it or run \`ccrx login\` to replace it`);
  }
  const obj = raw as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? stripBearer(v) : '');
  return {
    githubToken: str(obj.githubToken) || undefined,
    copilotToken: str(obj.copilotToken),
    expiresAt: parseExpiresAt(obj.expiresAt),
    apiBase: apiBaseFromEndpoint(obj.endpoint),
    raw: obj,
  };
}

/** What a refresh or login changes. */
export interface TokenUpdate {
  githubToken?: string;
  copilotToken: string;
  expiresAt: number;
  apiBase?: string;
  lastUpdated: number;
}

/**
 * The file text after an update, in the original's layout: 2-space JSON plus a newline, keys `githubToken`,
 * `copilotToken`, `endpoint`, `expiresAt`, `lastUpdated` first (absent ones omitted), then every other key as found.
 */
export function serializeTokenFile(previous: Record<string, unknown>, update: TokenUpdate): string {
  const known = ['githubToken', 'copilotToken', 'endpoint', 'expiresAt', 'lastUpdated'];
  const out: Record<string, unknown> = {};
  const githubToken = update.githubToken ?? previous.githubToken;
  if (githubToken !== undefined) out.githubToken = githubToken;
  out.copilotToken = update.copilotToken;
  const endpoint = update.apiBase ? `${update.apiBase}${CHAT_COMPLETIONS}` : previous.endpoint;
  if (endpoint !== undefined) out.endpoint = endpoint;
  out.expiresAt = update.expiresAt;
  out.lastUpdated = update.lastUpdated;
  for (const [key, value] of Object.entries(previous)) if (!known.includes(key)) out[key] = value;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Replaces the file atomically (see `writePrivateFile`) with mode 0600; creates parent directories when asked. */
export async function writeTokenFile(path: string, text: string, o: { createDirs?: boolean } = {}): Promise<void> {
  if (o.createDirs) await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writePrivateFile(path, text);
  } catch (err) {
    throw new CopilotAuthError('write_token_file', `failed to write Copilot token file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'write error'}`, 401, err);
  }
}

/** A file snapshot: contents plus the stat fields that tell whether it changed on disk. */
export interface TokenFileSnapshot {
  data: TokenFileData;
  mtimeMs: number;
  size: number;
}

/** `undefined` when the file does not exist; throws a CopilotAuthError when it cannot be read or parsed. */
export async function statTokenFile(path: string): Promise<{ mtimeMs: number; size: number; mode: number } | undefined> {
  try {
    const s = await stat(path);
    return { mtimeMs: s.mtimeMs, size: s.size, mode: s.mode & 0o777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw readError(path, err);
  }
}

export async function readTokenFile(path: string): Promise<TokenFileSnapshot | undefined> {
  const before = await statTokenFile(path);
  if (!before) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw readError(path, err);
  }
  return { data: parseTokenFile(text, path), mtimeMs: before.mtimeMs, size: before.size };
}

/**
 * What to tell the user when others can read or write the token file (a GitHub token lets them mint Copilot tokens;
 * a writable file lets them choose the token and API host we use), as ssh does for a private key; undefined when
 * only the owner can. The gateway still uses the file: refusing would stop the user, not the other readers.
 */
export function tokenFileModeWarning(path: string, mode: number): string | undefined {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return undefined;
  const who = [mode & 0o044 && 'read', mode & 0o022 && 'written'].filter(Boolean).join(' and ');
  return `Copilot token file ${path} has mode ${mode.toString(8).padStart(4, '0')}: it can be ${who} by other users; run \`chmod 600 ${path}\``;
}

function readError(path: string, err: unknown): CopilotAuthError {
  return new CopilotAuthError('read_token_file', `failed to read Copilot token file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}; check its permissions or run \`ccrx login\``, 401, err);
}

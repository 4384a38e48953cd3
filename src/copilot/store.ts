import type { Logger } from 'pino';
import { CopilotAuthError, missingAuthError } from './errors.js';
import { exchangeCopilotToken, type ExchangeSettings } from './exchange.js';
import { readTokenFile, serializeTokenFile, statTokenFile, tokenFileModeWarning, writeTokenFile, type TokenFileSnapshot } from './token-file.js';

/** GitHub's Copilot token exchange: the default of every plugin that mints tokens from the token file. */
export const COPILOT_TOKEN_URL = 'https://api.github.com/copilot_internal/v2/token';

export interface TokenStoreSettings extends ExchangeSettings {
  /** Absolute token file path. */
  path: string;
  /** Refresh when `now >= expiresAt - expiryBufferSeconds`. */
  expiryBufferSeconds: number;
  /** Whether the store may mint new tokens (proactively and when forced). */
  refresh: boolean;
  log?: Logger;
}

/** A usable Copilot token. `token` is a secret: never log it. */
export interface CopilotToken {
  token: string;
  /** Epoch seconds, when known. */
  expiresAt: number | undefined;
  apiBase: string | undefined;
  /** Whether a forced refresh can mint a new one. */
  refreshable: boolean;
  /** True when this call minted it. */
  refreshed: boolean;
}

/** What `/health` may say about the file, without touching the network. */
export interface TokenFileStatus {
  ok: boolean;
  present: boolean;
  expiresAt?: number;
  message?: string;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The token file as a cache: the parsed file stays in memory and is re-read only when its mtime or size changes;
 * concurrent callers that need a refresh share one call to the token endpoint (single flight); the rewrite is atomic
 * (0600). A file that cannot be read or parsed is reported and never written.
 */
export class CopilotTokenStore {
  private static readonly registry = new Map<string, CopilotTokenStore>();

  /**
   * One store per token file and settings in this process: the auth plugin, the model list and the quota all share
   * its cache and its single in-flight refresh instead of each minting tokens on their own.
   */
  static shared(settings: TokenStoreSettings): CopilotTokenStore {
    // What decides which token is used; header versions and timeouts of the first caller serve everyone.
    const key = JSON.stringify([settings.path, settings.tokenUrl, settings.refresh, settings.expiryBufferSeconds]);
    let store = CopilotTokenStore.registry.get(key);
    if (!store) {
      store = new CopilotTokenStore(settings);
      CopilotTokenStore.registry.set(key, store);
    }
    return store;
  }

  private cached: TokenFileSnapshot | undefined;
  /** The mode last warned about, so a file that stays too open is reported once, not on every request. */
  private warnedMode: number | undefined;
  private flight: Promise<CopilotToken> | undefined;

  constructor(readonly settings: TokenStoreSettings) {}

  /** The GitHub OAuth token saved by `ccrx login` (a secret: never log it); undefined when the file has none. */
  async githubToken(): Promise<string | undefined> {
    const file = await this.load().catch(() => undefined);
    return file?.data.githubToken;
  }

  get path(): string {
    return this.settings.path;
  }

  /**
   * A token for the next upstream call. `force` mints a new one even if the local expiry looks fine, unless the
   * token the caller used (`rejected`) was already replaced by a concurrent refresh.
   */
  async get(o: { force?: boolean; rejected?: string } = {}): Promise<CopilotToken> {
    const file = await this.load();
    const data = file.data;
    const refreshable = this.settings.refresh && data.githubToken !== undefined;
    const current = (refreshed = false): CopilotToken => ({ token: data.copilotToken, expiresAt: data.expiresAt, apiBase: data.apiBase, refreshable, refreshed });

    if (o.force) {
      if (o.rejected !== undefined && data.copilotToken && data.copilotToken !== o.rejected) return current();
      if (!refreshable) throw new CopilotAuthError('token_file_not_refreshable', `Copilot token file cannot be refreshed because token refresh is disabled or githubToken is missing: ${this.path}; run \`ccrx login\``);
      return this.refreshOnce({ force: true, rejected: o.rejected });
    }
    if (data.copilotToken && !this.nearExpiry(data.expiresAt)) return current();
    if (!this.settings.refresh) {
      if (!data.copilotToken) throw missingCopilotToken(this.path);
      throw new CopilotAuthError('expired', `Copilot token file is expired or near expiry and refresh is disabled: ${this.path}; run \`ccrx login\``);
    }
    if (data.githubToken === undefined) {
      if (!data.copilotToken) throw missingCopilotToken(this.path);
      throw new CopilotAuthError('expired_missing_github_token', `Copilot token file is expired or near expiry and cannot be refreshed because it is missing githubToken: ${this.path}; run \`ccrx login\``);
    }
    try {
      return await this.refreshOnce({ force: false });
    } catch (err) {
      // Inside the buffer the old token still works: a failed early refresh must not stop the user.
      if (data.copilotToken && data.expiresAt !== undefined && nowSeconds() < data.expiresAt) {
        this.settings.log?.warn({ reason: (err as CopilotAuthError).reason, expiresAt: data.expiresAt }, 'early Copilot token refresh failed; using the current token until it expires');
        return current();
      }
      throw err;
    }
  }

  /** Health view: reads the file (cached) but never refreshes. */
  async status(): Promise<TokenFileStatus> {
    let file: TokenFileSnapshot;
    try {
      file = await this.load();
    } catch (err) {
      const present = (err as CopilotAuthError).reason !== 'missing';
      return { ok: false, present, message: (err as Error).message };
    }
    const { data } = file;
    const refreshable = this.settings.refresh && data.githubToken !== undefined;
    if (data.copilotToken && !this.nearExpiry(data.expiresAt)) return { ok: true, present: true, expiresAt: data.expiresAt };
    if (refreshable) return { ok: true, present: true, expiresAt: data.expiresAt, message: 'the Copilot token will be refreshed on the next request' };
    return { ok: false, present: true, expiresAt: data.expiresAt, message: `the Copilot token in ${this.path} is expired and cannot be refreshed; run \`ccrx login\`` };
  }

  private nearExpiry(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && nowSeconds() >= expiresAt - this.settings.expiryBufferSeconds;
  }

  /** The file, re-read only when its mtime or size changed since the last read or write. */
  private async load(): Promise<TokenFileSnapshot> {
    const s = await statTokenFile(this.path);
    if (!s) {
      this.cached = undefined;
      throw missingAuthError(`no COPILOT_BEARER_TOKEN and no token file at ${this.path}`);
    }
    this.checkMode(s.mode);
    if (this.cached && this.cached.mtimeMs === s.mtimeMs && this.cached.size === s.size) return this.cached;
    const read = await readTokenFile(this.path);
    if (!read) throw missingAuthError(`no COPILOT_BEARER_TOKEN and no token file at ${this.path}`);
    this.cached = read;
    return read;
  }

  private checkMode(mode: number): void {
    if (mode === this.warnedMode) return;
    const warning = tokenFileModeWarning(this.path, mode);
    this.warnedMode = warning ? mode : undefined;
    if (!warning) return;
    if (this.settings.log) this.settings.log.warn({ path: this.path, mode: mode.toString(8) }, warning);
    // CLI commands (print-token) have no logger: stderr, never stdout where the token goes.
    else process.stderr.write(`warning: ${warning}\n`);
  }

  /** Callers share one flight; it is not tied to any one caller, so a client going away does not cancel it. */
  private refreshOnce(mode: { force: boolean; rejected?: string }): Promise<CopilotToken> {
    this.flight ??= this.refresh(mode).finally(() => {
      this.flight = undefined;
    });
    return this.flight;
  }

  private async refresh(mode: { force: boolean; rejected?: string }): Promise<CopilotToken> {
    // Another process (print-token, a second gateway) may have refreshed the file meanwhile.
    const file = await this.load();
    const { data } = file;
    const replaced = mode.force ? mode.rejected !== undefined && data.copilotToken !== mode.rejected : !this.nearExpiry(data.expiresAt);
    if (data.copilotToken && replaced) return { token: data.copilotToken, expiresAt: data.expiresAt, apiBase: data.apiBase, refreshable: true, refreshed: false };
    if (data.githubToken === undefined) throw new CopilotAuthError('token_file_not_refreshable', `Copilot token file cannot be refreshed because it is missing githubToken: ${this.path}; run \`ccrx login\``);
    const minted = await exchangeCopilotToken(data.githubToken, this.settings);
    if (minted.refusedApi) this.settings.log?.warn('token exchange returned an endpoints.api that is not an https githubcopilot.com URL; ignoring it');
    const apiBase = minted.apiBase ?? data.apiBase;
    const text = serializeTokenFile(data.raw, { copilotToken: minted.token, expiresAt: minted.expiresAt, apiBase: minted.apiBase, lastUpdated: nowSeconds() });
    const raw = JSON.parse(text) as Record<string, unknown>;
    const next = { ...data, copilotToken: minted.token, expiresAt: minted.expiresAt, apiBase, raw };
    try {
      await writeTokenFile(this.path, text);
      const s = await statTokenFile(this.path);
      this.cached = { data: next, mtimeMs: s?.mtimeMs ?? -1, size: s?.size ?? -1 };
    } catch (err) {
      // The new token is valid even if the file could not be saved; keep it for this process.
      this.cached = { ...file, data: next };
      this.settings.log?.error({ reason: (err as CopilotAuthError).reason, message: (err as Error).message }, 'refreshed Copilot token could not be saved; using it from memory');
    }
    this.settings.log?.info({ expiresAt: minted.expiresAt, accountEndpoint: apiBase !== undefined }, 'refreshed Copilot token');
    return { token: minted.token, expiresAt: minted.expiresAt, apiBase, refreshable: true, refreshed: true };
  }
}

function missingCopilotToken(path: string): CopilotAuthError {
  return new CopilotAuthError('missing_copilot_token', `Copilot token file is missing copilotToken: ${path}; run \`ccrx login\``);
}

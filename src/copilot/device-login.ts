import { setTimeout as sleep } from 'node:timers/promises';
import { stripBearer } from './bearer.js';
import { exchangeCopilotToken, githubHeaders, type ExchangeSettings } from './exchange.js';
import { callJson, describeNetworkError } from './http.js';
import { serializeTokenFile, writeTokenFile } from './token-file.js';

export interface DeviceLoginSettings extends ExchangeSettings {
  deviceCodeUrl: string;
  accessTokenUrl: string;
  clientId: string;
  scope: string;
  /** Where the tokens are saved (absolute path). */
  path: string;
}

export interface DeviceLoginIO {
  /** Receives each user-facing line (without newline); never a token or the device code. */
  print(line: string): void;
  /** Called before each wait with the time left until the code expires (for a progress indicator). */
  waiting?(remainingMs: number): void;
  signal?: AbortSignal;
  /** Length of one protocol second in milliseconds (intervals, `slow_down` step, expiry). Tests shrink it. */
  secondMs?: number;
}

/** A device-login failure with a message meant for the user. */
export class DeviceLoginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceLoginError';
  }
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds unless the server names a new one. */
const SLOW_DOWN_STEP = 5;

/**
 * GitHub's device flow (RFC 8628): ask for a code, show it, poll until the user approves, trade the GitHub token for
 * a Copilot token and save both (atomic write, 0600, parent directories created). Nothing is written unless the
 * whole flow succeeds, so an interrupted login leaves any existing file as it was.
 */
export async function deviceLogin(s: DeviceLoginSettings, io: DeviceLoginIO): Promise<{ path: string; expiresAt: number }> {
  const unit = io.secondMs ?? 1000;
  const headers = githubHeaders(undefined, s);
  const start = await post(s.deviceCodeUrl, { client_id: s.clientId, scope: s.scope }, headers, io.signal, 'start');
  const code = (start ?? {}) as { device_code?: unknown; user_code?: unknown; verification_uri?: unknown; interval?: unknown; expires_in?: unknown };
  if (typeof code.device_code !== 'string' || typeof code.user_code !== 'string' || typeof code.verification_uri !== 'string' || !code.device_code || !code.user_code || !code.verification_uri) {
    throw new DeviceLoginError('GitHub device-code response is missing device_code, user_code, or verification_uri');
  }
  let interval = positive(code.interval) ?? 5;
  const deadline = Date.now() + (positive(code.expires_in) ?? 900) * unit;

  io.print('GitHub Copilot authentication is required.');
  io.print(`Visit: ${code.verification_uri}`);
  io.print(`Enter code: ${code.user_code}`);
  io.print('Waiting for authorization...');

  for (;;) {
    io.waiting?.(Math.max(0, deadline - Date.now()));
    await sleep(interval * unit, undefined, { signal: io.signal });
    const poll = (await post(s.accessTokenUrl, { client_id: s.clientId, device_code: code.device_code, grant_type: GRANT_TYPE }, headers, io.signal, 'poll')) as { access_token?: unknown; error?: unknown; interval?: unknown } | undefined;
    const accessToken = typeof poll?.access_token === 'string' ? stripBearer(poll.access_token) : '';
    if (accessToken) return save(s, accessToken, io);
    const error = poll?.error;
    if (error === 'authorization_pending') {
      // keep polling
    } else if (error === 'slow_down') {
      const sent = positive(poll?.interval);
      interval = sent !== undefined && sent > interval ? sent : interval + SLOW_DOWN_STEP;
    } else if (error === 'expired_token') {
      throw new DeviceLoginError('GitHub device login expired before authorization completed');
    } else if (error === 'access_denied') {
      throw new DeviceLoginError('GitHub device login was denied');
    } else if (typeof error === 'string' && error) {
      throw new DeviceLoginError(`GitHub device login failed: ${error}`);
    } else {
      throw new DeviceLoginError('GitHub device login completed but no access_token was returned');
    }
    if (Date.now() >= deadline) throw new DeviceLoginError('GitHub device login expired before authorization completed');
  }
}

async function save(s: DeviceLoginSettings, githubToken: string, io: DeviceLoginIO): Promise<{ path: string; expiresAt: number }> {
  let minted;
  try {
    minted = await exchangeCopilotToken(githubToken, s, io.signal);
  } catch (err) {
    throw new DeviceLoginError(`GitHub login succeeded but ${(err as Error).message.replace(/; the saved GitHub token was refused, run `ccrx login`$/, '; is Copilot enabled for this account?')}`);
  }
  const text = serializeTokenFile({}, { githubToken, copilotToken: minted.token, expiresAt: minted.expiresAt, apiBase: minted.apiBase, lastUpdated: Math.floor(Date.now() / 1000) });
  await writeTokenFile(s.path, text, { createDirs: true });
  io.print('GitHub Copilot authentication saved.');
  return { path: s.path, expiresAt: minted.expiresAt };
}

async function post(url: string, body: unknown, headers: Record<string, string>, signal: AbortSignal | undefined, step: 'start' | 'poll'): Promise<unknown> {
  const what = step === 'start' ? 'start' : 'poll';
  let res;
  try {
    res = await callJson(url, { method: 'POST', headers, body, timeoutMs: 30_000, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new DeviceLoginError(`failed to ${what} GitHub device login: ${describeNetworkError(err)}`);
  }
  if (res.status < 200 || res.status > 299) throw new DeviceLoginError(`failed to ${what} GitHub device login: HTTP ${res.status}`);
  return res.json;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

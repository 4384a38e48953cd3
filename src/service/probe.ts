import { request } from 'node:http';

export type ProbeLabel = 'healthy' | 'connect_failed' | 'timeout' | 'unhealthy_response' | 'bad_json';

export interface ProbeResult<T> {
  label: ProbeLabel;
  status?: number;
  body?: T;
  error?: string;
}

/**
 * The gateway's local API key from the environment (`CCRX_API_KEY`): a gateway that requires one refuses even
 * `/health` without it. `start`, `status` and `stop` pass the key of the service's config instead (`serviceApiKey`).
 */
const localApiKey = (): string | undefined => process.env.CCRX_API_KEY?.trim() || undefined;

/** GET `url` with short timeouts (and the local API key, when there is one); parses a JSON body. Never throws. */
function probeJson<T = Record<string, unknown>>(url: string, timeoutMs = 1500, apiKey = localApiKey()): Promise<ProbeResult<T>> {
  return new Promise((resolve) => {
    const headers = { accept: 'application/json', connection: 'close', ...(apiKey && { 'x-ccrx-api-key': apiKey }) };
    const req = request(url, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => resolve({ label: 'connect_failed', error: err.message }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let body: T | undefined;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
        } catch {
          return resolve({ label: status === 200 ? 'bad_json' : 'unhealthy_response', status });
        }
        resolve({ label: status === 200 ? 'healthy' : 'unhealthy_response', status, body });
      });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ label: 'timeout', error: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err) => resolve({ label: 'connect_failed', error: err.message }));
    req.end();
  });
}

export function probeHealth(baseUrl: string, timeoutMs?: number, apiKey?: string): Promise<ProbeResult<Record<string, unknown>>> {
  return probeJson(`${baseUrl}/health`, timeoutMs, apiKey);
}

/** What the running service reports at `GET /_ccrx/status` (see the kernel). */
export interface ServiceStatus {
  pid: number;
  version: string;
  url: string;
  startedAt: string;
  uptimeMs: number;
  configFile: string | null;
  chains: { provider: string; prefix: string; plugins: string[] }[];
  counts: { requests: number; errors: number; replays: number; inFlight: number };
  health: { ok?: boolean; providers?: Record<string, { checks?: Record<string, HealthCheckView> }> };
}

export interface HealthCheckView {
  ok: boolean;
  message?: string;
  fix?: string;
  source?: string;
  expiresAt?: string | number;
  [detail: string]: unknown;
}

export function probeStatus(baseUrl: string, timeoutMs?: number, apiKey?: string): Promise<ProbeResult<ServiceStatus>> {
  return probeJson<ServiceStatus>(`${baseUrl}/_ccrx/status`, timeoutMs, apiKey);
}

/** Polls `/health` until it answers 200 or the time is up; returns the last result. */
export async function waitHealthy(baseUrl: string, timeoutMs: number, isDone: () => boolean = () => false, apiKey?: string): Promise<ProbeResult<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probeHealth(baseUrl, 500, apiKey);
    if (result.label === 'healthy' || isDone() || Date.now() >= deadline) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
}

import { request } from 'node:http';

export type ProbeLabel = 'healthy' | 'connect_failed' | 'timeout' | 'unhealthy_response' | 'bad_json';

export interface ProbeResult<T> {
  label: ProbeLabel;
  status?: number;
  body?: T;
  error?: string;
}

/** GET `url` with short timeouts; parses a JSON body. Never throws. */
export function probeJson<T = Record<string, unknown>>(url: string, timeoutMs = 1500): Promise<ProbeResult<T>> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers: { accept: 'application/json', connection: 'close' }, timeout: timeoutMs }, (res) => {
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

export function probeHealth(baseUrl: string, timeoutMs?: number): Promise<ProbeResult<Record<string, unknown>>> {
  return probeJson(`${baseUrl}/health`, timeoutMs);
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

export function probeStatus(baseUrl: string, timeoutMs?: number): Promise<ProbeResult<ServiceStatus>> {
  return probeJson<ServiceStatus>(`${baseUrl}/_ccrx/status`, timeoutMs);
}

/** Polls `/health` until it answers 200 or the time is up; returns the last result. */
export async function waitHealthy(baseUrl: string, timeoutMs: number, isDone: () => boolean = () => false): Promise<ProbeResult<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probeHealth(baseUrl, 500);
    if (result.label === 'healthy' || isDone() || Date.now() >= deadline) return result;
    await new Promise((r) => setTimeout(r, 100));
  }
}

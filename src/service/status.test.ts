import { describe, expect, it } from 'vitest';
import { formatStatus, type StatusReport } from './status.js';

const running = (quota?: { ok: boolean; message: string }): StatusReport => ({
  state: 'running',
  summary: 'ccrx is running at http://127.0.0.1:60001 (pid 42)',
  pid: 42,
  url: 'http://127.0.0.1:60001',
  health: 'healthy',
  pidFile: { path: '/state/codex-code-router.pid', state: 'running' },
  logFile: '/state/codex-code-router.log',
  stateDir: '/state',
  service: {
    pid: 42,
    version: '0.1.0',
    url: 'http://127.0.0.1:60001',
    startedAt: '2026-11-21T08:00:00.000Z',
    uptimeMs: 65_000,
    configFile: null,
    chains: [{ provider: 'default', prefix: '', plugins: ['copilot-upstream', 'retry-429'] }],
    counts: { requests: 3, errors: 1, replays: 2, inFlight: 0 },
    health: { ok: true, service: 'codex-code-router', version: '0.1.0', providers: { default: { prefix: '', plugins: [], checks: quota ? { quota } : {} } } },
  } as unknown as StatusReport['service'],
  problems: [],
});

describe('formatStatus', () => {
  it('shows the chain, the counts and the Copilot quota when the quota plugin reports it', () => {
    const text = formatStatus(running({ ok: true, message: 'premium requests: 120 of 300 used (40%), resets 2026-12-01' }), Date.parse('2026-11-21T08:01:05Z'));
    expect(text).toContain('copilot-upstream → retry-429');
    expect(text).toContain('3 (errors 1, retries 2, in flight 0)');
    expect(text).toMatch(/quota\s+premium requests: 120 of 300 used/);
  });

  it('has no quota line without the quota plugin', () => {
    expect(formatStatus(running())).not.toContain('quota');
  });
});

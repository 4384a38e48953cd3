import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** A real Codex 0.169.0 capture: method, url, headers (lowercase) and the parsed body. */
export interface CodexCapture {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function codexFixture(name: string): CodexCapture {
  return JSON.parse(readFileSync(join(root, 'codex-0.169', name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as CodexCapture;
}

export function codexFixtureNames(): string[] {
  return readdirSync(join(root, 'codex-0.169')).filter((f) => f.endsWith('.json'));
}

/**
 * Third-party data the project never commits: `shared/fixtures/` beside the clone (CI has it; a user's fresh clone
 * does not). `skip` says why a test that needs it does not run.
 */
export function sharedFixtures(name: string): { dir: string; available: boolean; skip: string } {
  const dir = join(root, '..', '..', '..', 'shared', 'fixtures', name);
  const available = existsSync(dir);
  return { dir, available, skip: available ? '' : ` (skipped: third-party data ../shared/fixtures/${name} is absent beside this clone)` };
}

export const relayFixtures = sharedFixtures('codex-relay');

/** codex-relay's minimized Codex 0.128.0 request bodies (MIT; license and provenance in the shared folder). */
export function relayFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(relayFixtures.dir, 'tests', 'fixtures', 'codex_0_128_0', name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as Record<string, unknown>;
}

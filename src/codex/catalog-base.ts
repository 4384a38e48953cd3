import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ModelInfo } from './catalog.js';

/**
 * Marks an entry carried over from the user's own `model_catalog_json`: a later run keeps it (Codex ignores fields it
 * does not know), while entries of Codex's bundled list are taken fresh from the installed Codex every time.
 */
export const KEPT_FROM = 'x_ccrx_kept_from';

/** The models Codex had before the gateway's catalogue, which `model_catalog_json` would otherwise take away. */
export type CatalogBase =
  | { kind: 'bundled'; models: ModelInfo[]; kept: ModelInfo[]; codex: string }
  | { kind: 'user'; models: ModelInfo[]; file: string }
  /** Nothing could be read: a catalogue of the gateway's models alone would hide every other model. */
  | { kind: 'unknown'; reason: string };

/**
 * Codex reads one `model_catalog_json` for every provider (its static model manager): the file replaces both the
 * bundled list and the list it refreshes online. So the gateway's catalogue carries what the user had: the models of
 * the catalogue config.toml named before (theirs), else the bundled list of the installed Codex
 * (`codex debug models --bundled`), plus the entries an earlier run kept from a catalogue of theirs.
 */
export async function readCatalogBase(o: { current: string | undefined; ours: string; env: Readonly<Record<string, string | undefined>>; timeoutMs?: number }): Promise<CatalogBase> {
  if (o.current !== undefined && o.current !== o.ours) {
    try {
      return { kind: 'user', models: readModels(o.current), file: o.current };
    } catch (err) {
      return { kind: 'unknown', reason: `config.toml names model_catalog_json ${o.current}, which cannot be read (${(err as Error).message.split('\n')[0]})` };
    }
  }
  let kept: ModelInfo[] = [];
  try {
    kept = readModels(o.ours).filter((m) => typeof m[KEPT_FROM] === 'string');
  } catch {
    // no earlier catalogue of ours, or one Codex could not have read either
  }
  try {
    return { kind: 'bundled', models: await bundledModels(o.env, o.timeoutMs ?? 30_000), kept, codex: 'codex' };
  } catch (err) {
    return { kind: 'unknown', reason: `Codex's bundled model list could not be read (\`codex debug models --bundled\`: ${(err as Error).message.split('\n')[0]})` };
  }
}

/** The gateway's entries first; then what the base holds under other slugs. Same slug: the gateway's entry wins. */
export function mergeCatalog(ours: readonly ModelInfo[], base: CatalogBase): { models: ModelInfo[]; replaced: string[]; carried: number } {
  if (base.kind === 'unknown') return { models: [...ours], replaced: [], carried: 0 };
  const slugs = new Set(ours.map((m) => m.slug));
  const from = base.kind === 'user' ? base.models.map((m) => ({ ...m, [KEPT_FROM]: base.file })) : [...base.kept, ...base.models.filter((m) => !base.kept.some((k) => k.slug === m.slug))];
  const replaced = from.filter((m) => slugs.has(m.slug)).map((m) => m.slug);
  const carried = from.filter((m) => !slugs.has(m.slug));
  return { models: [...ours, ...carried], replaced: [...new Set(replaced)], carried: carried.length };
}

function readModels(file: string): ModelInfo[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { models?: unknown };
  if (!Array.isArray(parsed.models)) throw new Error('it has no "models" list');
  return parsed.models.filter((m): m is ModelInfo => typeof m === 'object' && m !== null && typeof (m as ModelInfo).slug === 'string');
}

/** Runs the Codex on PATH; its stderr (warnings about helper binaries) is ignored. */
function bundledModels(env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<ModelInfo[]> {
  return new Promise((resolve, reject) => {
    execFile('codex', ['debug', 'models', '--bundled'], { env: { ...env } as NodeJS.ProcessEnv, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
      if (err) return reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error('no codex on PATH') : err);
      try {
        const parsed = JSON.parse(stdout) as { models?: unknown };
        if (!Array.isArray(parsed.models) || parsed.models.length === 0) throw new Error('it printed no models');
        resolve(parsed.models as ModelInfo[]);
      } catch (e) {
        reject(new Error(`unexpected output: ${(e as Error).message}`));
      }
    });
  });
}

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Planted secrets and a collector of everything the gateway and the CLI wrote, scanned at the end of an e2e file.
 * Each secret has a distinctive core, so a truncated or re-quoted copy is found too.
 */
export const PLANTED = {
  /** The GitHub OAuth token in the Copilot token file. */
  githubToken: 'gho_PlantedGithubZq8Kx41mWv93',
  /** The (expired) Copilot token in the token file. */
  staleCopilotToken: 'tid=PlantedStaleCopilotNp52Rt;exp=1;sku=planted',
  /** Copilot tokens minted by the mock token endpoint: `${mintedCopilotToken}${n}`. */
  mintedCopilotToken: 'tid=PlantedMintedCopilotHx73Lq;n=',
  /** A provider API key (DEEPSEEK_API_KEY). */
  apiKey: 'sk-PlantedApiKeyJd62Vb0sTq',
  /** The Authorization Codex sends to the gateway (`env_key`). */
  inboundAuthorization: 'PlantedInboundAuthWc19Fy',
  /** A cookie Codex sends (`http_headers`) and one the upstream sets. */
  cookie: 'PlantedCookieVal8Gm2Pz',
  setCookie: 'PlantedSetCookieTn4Ks6',
  /** Text inside the user's prompt: content, not for logs or content_redacted diagnostics. */
  prompt: 'PlantedPromptSecretYb57Dk',
} as const;

/** The part of each secret no ordinary log line would contain. */
const CORES: Record<keyof typeof PLANTED, string> = {
  githubToken: 'PlantedGithubZq8Kx41mWv93',
  staleCopilotToken: 'PlantedStaleCopilotNp52Rt',
  mintedCopilotToken: 'PlantedMintedCopilotHx73Lq',
  apiKey: 'PlantedApiKeyJd62Vb0sTq',
  inboundAuthorization: 'PlantedInboundAuthWc19Fy',
  cookie: 'PlantedCookieVal8Gm2Pz',
  setCookie: 'PlantedSetCookieTn4Ks6',
  prompt: 'PlantedPromptSecretYb57Dk',
};

/** Raw diagnostics limits large enough to snapshot Codex's whole request (the prompt is at its end). */
export const WHOLE_BODIES = { CODEX_CODE_ROUTER_RAW_LOG_CONTENT_MAX_BYTES: '4194304', CODEX_CODE_ROUTER_RAW_LOG_MAX_BYTES: '8388608' };

/** How many request snapshots in a raw diagnostics JSONL file hold a whole parsed body (so the prompt was in scope). */
export function wholeRequestSnapshots(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"inbound_request_content"'))
    .map((line) => JSON.parse(line) as { fields?: { snapshot?: { format?: string; bytes?: { truncated?: boolean } } } })
    .filter((e) => e.fields?.snapshot?.format === 'json' && e.fields.snapshot.bytes?.truncated === false).length;
}

export type SecretName = keyof typeof PLANTED;

interface Source {
  label: string;
  read: () => string;
  /** Secrets this output may legitimately hold (e.g. `print-token`'s stdout is the token). */
  allowed: SecretName[];
}

export interface Leak {
  source: string;
  secret: SecretName;
  /** A few characters around the hit, with the secret itself masked. */
  context: string;
}

export interface SecretScan {
  /** Registers an output; a function is read at scan time (logs still growing, files written later). */
  add(label: string, text: string | (() => string), o?: { allowed?: SecretName[] }): void;
  /** Registers a file, or every file under a directory, read at scan time (missing = empty). */
  addPath(label: string, path: string, o?: { allowed?: SecretName[] }): void;
  /** Labels and sizes of what was collected, so a test can check the scan was not vacuous. */
  sizes(): Record<string, number>;
  leaks(): Leak[];
}

function readAll(path: string): string {
  if (!existsSync(path)) return '';
  if (!statSync(path).isDirectory()) return readFileSync(path, 'utf8');
  return readdirSync(path)
    .map((name) => readAll(join(path, name)))
    .join('\n');
}

/** Every planted secret found in `text` (by its core). */
export function findSecrets(text: string, allowed: readonly SecretName[] = []): { secret: SecretName; index: number }[] {
  const hits: { secret: SecretName; index: number }[] = [];
  for (const secret of Object.keys(CORES) as SecretName[]) {
    if (allowed.includes(secret)) continue;
    const index = text.indexOf(CORES[secret]);
    if (index >= 0) hits.push({ secret, index });
  }
  return hits;
}

export function createSecretScan(): SecretScan {
  const sources: Source[] = [];
  return {
    add(label, text, o = {}) {
      sources.push({ label, read: typeof text === 'string' ? () => text : text, allowed: o.allowed ?? [] });
    },
    addPath(label, path, o = {}) {
      sources.push({ label, read: () => readAll(path), allowed: o.allowed ?? [] });
    },
    sizes() {
      const sizes: Record<string, number> = {};
      for (const s of sources) sizes[s.label] = (sizes[s.label] ?? 0) + s.read().length;
      return sizes;
    },
    leaks() {
      const leaks: Leak[] = [];
      for (const s of sources) {
        const text = s.read();
        for (const hit of findSecrets(text, s.allowed)) {
          const context = text.slice(Math.max(0, hit.index - 80), hit.index + CORES[hit.secret].length + 40).replace(CORES[hit.secret], `<${hit.secret}>`);
          leaks.push({ source: s.label, secret: hit.secret, context });
        }
      }
      return leaks;
    },
  };
}

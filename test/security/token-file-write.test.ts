import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { writeTokenFile } from '../../src/copilot/token-file.js';

// Whoever can write the token file's directory must not be able to make the gateway write the token JSON anywhere
// else, or overwrite a file they placed there.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-token-write-'));
  dirs.push(dir);
  return dir;
}

/** Every temp name write-file-atomic (the previous writer) would pick in this process for its first `n` writes. */
function predictableNames(file: string, n: number): string[] {
  const library = createRequire(import.meta.url).resolve('write-file-atomic');
  return Array.from({ length: n }, (_, i) => {
    const hash = createHash('sha1').update(library).update(String(process.pid)).update(String(threadId)).update(String(i + 1)).digest().readUInt32BE(0);
    return `${file}.${hash}`;
  });
}

const TOKEN_JSON = '{\n  "githubToken": "gho_secret",\n  "copilotToken": "tid=1;exp=2;sig"\n}\n';

describe('token file write', () => {
  it('never follows a symlink planted at a temp name the writer could pick', async () => {
    const dir = tempDir();
    const file = join(dir, 'tokens.json');
    writeFileSync(file, '{"copilotToken":"old"}', { mode: 0o600 });
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const planted = predictableNames(file, 200);
    for (const name of planted) symlinkSync(victim, name);

    await writeTokenFile(file, TOKEN_JSON);

    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(TOKEN_JSON);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const name of planted) expect(lstatSync(name).isSymbolicLink()).toBe(true);
  });

  it('never overwrites or moves a file pre-created at a temp name, and leaves no temp file behind', async () => {
    const dir = tempDir();
    const file = join(dir, 'tokens.json');
    const planted = predictableNames(file, 200);
    for (const name of planted) writeFileSync(name, 'planted\n', { mode: 0o644 });

    await writeTokenFile(file, TOKEN_JSON);
    await writeTokenFile(file, TOKEN_JSON.replace('sig', 'sig2'));

    for (const name of planted) expect(readFileSync(name, 'utf8')).toBe('planted\n');
    expect(readFileSync(file, 'utf8')).toContain('sig2');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).length).toBe(planted.length + 1);
  });

  it('keeps a 0600 mode even when the old file was readable by others', async () => {
    const dir = tempDir();
    const file = join(dir, 'tokens.json');
    writeFileSync(file, '{}', { mode: 0o644 });
    await writeTokenFile(file, TOKEN_JSON);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

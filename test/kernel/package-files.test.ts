import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { npm } from '../support/packed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// What `npm pack` would put in the package (the tests build dist/ first), without writing a tarball.
const packed = (() => {
  const out = npm(['pack', '--dry-run', '--json', '--ignore-scripts', '--pack-destination', tmpdir()], root, { npm_config_update_notifier: 'false' });
  return (JSON.parse(out.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
})();
const files = new Set(packed);
const dirs = new Set(packed.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))));
const inPackage = (path: string) => files.has(path) || dirs.has(path);
const markdown = packed.filter((f) => f.endsWith('.md'));
/** Prose only: fenced code shows commands and layouts, not references to follow. */
const prose = (file: string) => readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');

describe('the packed package holds what its docs and source maps name', () => {
  it('ships docs, and every relative link in its markdown resolves to a packed file', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('docs/plugins.md');
    const broken: string[] = [];
    for (const file of markdown) {
      for (const [, link] of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z+.-]*:/i.test(link!) || link!.startsWith('#')) continue;
        const target = posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(link!.split('#')[0]!))).replace(/\/$/, '');
        if (!inPackage(target)) broken.push(`${file}: ${link} (${target})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every package path its markdown names in code (`src/…`, `examples/…`) is in the package', () => {
    const missing: string[] = [];
    // `src/<dir>/…` of another project (a page quoting, say, vscode-copilot-chat's sources) is not ours to ship.
    const ours = (path: string) => !path.startsWith('src/') || existsSync(join(root, 'src', path.split('/')[1]!));
    for (const file of markdown) {
      for (const [, path] of prose(file).matchAll(/`((?:src|examples|dist|bin|docs)\/[^`\s*]*)`/g)) {
        if (ours(path!) && !inPackage(path!.replace(/\/$/, ''))) missing.push(`${file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('a page that names repository-only paths (`test/…`, `bench/…`) says they are not in the package', () => {
    for (const file of markdown) {
      if (/`(?:test|bench)\//.test(prose(file))) expect(prose(file).includes('not in the npm package'), file).toBe(true);
    }
  });

  it('every source map points at sources the package ships', () => {
    const maps = packed.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const target = posix.normalize(posix.join(posix.dirname(map), source));
        if (!files.has(target)) missing.push(`${map}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

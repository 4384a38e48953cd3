import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference, spliceGenerated } from './config-reference.js';

const file = fileURLToPath(new URL('../docs/config.md', import.meta.url));
writeFileSync(file, spliceGenerated(readFileSync(file, 'utf8'), await renderConfigReference()));
process.stdout.write(`updated ${file}\n`);

import { afterAll } from 'vitest';
import { removeTempDirs } from '../../src/testing/temp.js';

// Test workers may be stopped without an `exit` event; clean up after each test file instead.
afterAll(removeTempDirs);

export { tempDir } from '../../src/testing/temp.js';

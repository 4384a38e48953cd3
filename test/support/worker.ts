import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createJiti } = require('jiti');
createJiti(workerData.module).import(workerData.module).then((m) => {
  const args = workerData.args.map((a) => (a && typeof a === 'object' && 'repeat' in a ? a.repeat.unit.repeat(a.repeat.times) + (a.repeat.suffix ?? '') : a));
  parentPort.postMessage(m[workerData.fn](...args));
}, (err) => { throw err; });
`;

/** An argument built in the worker: `unit` repeated `times` times, then `suffix` (a large input is not copied). */
export const repeated = (unit: string, times: number, suffix = '') => ({ repeat: { unit, times, suffix } });

const running = new Set<Worker>();

/**
 * Calls `module.fn(...args)` in a worker thread and resolves with its (structured-cloned) result. Synchronous work
 * that never ends would also stop the test runner's timers; in a worker it is the test's own timeout that fails it.
 * `stopWorkers()` (in `afterEach`) ends whatever is still running.
 */
export function inWorker<T>(module: URL, fn: string, args: unknown[]): Promise<T> {
  const worker = new Worker(SCRIPT, { eval: true, workerData: { module: fileURLToPath(module), fn, args } });
  running.add(worker);
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (value: T) => resolve(value));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      running.delete(worker);
      reject(new Error(`worker exited with ${code}`));
    });
  }).finally(() => void worker.terminate());
}

export async function stopWorkers(): Promise<void> {
  await Promise.all([...running].map((w) => w.terminate()));
  running.clear();
}

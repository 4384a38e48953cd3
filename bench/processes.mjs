// What the bench scripts share: its helper processes and the gateways, started and stopped, and their CPU time.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();

export function freePort() {
  return new Promise((res) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => res(port));
    });
  });
}

/** Starts a bench helper that prints `listening <port>`. */
export function spawnListening(script, args) {
  const child = spawn(process.execPath, [join(root, 'bench', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) res({ child, url: `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (code) => rej(new Error(`${script} exited with ${code}`)));
  });
}

/** The gateways' state directory: the translator chain's response store stays out of the developer's. */
const benchState = mkdtempSync(join(tmpdir(), 'ccrx-bench-state-'));
process.once('exit', () => rmSync(benchState, { recursive: true, force: true }));

/** Spawns `ccrx serve` and resolves once `/health` answers 200, with the time that took. */
export async function spawnGateway(config, env) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'ccrx.js'), 'serve', '--config', config, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CODEX_CODE_ROUTER_STATE_DIR: benchState, ...env } });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ccrx serve exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return { child, url, startMs: performance.now() - t0 };
    await sleep(5);
  }
  throw new Error(`ccrx serve did not become healthy: ${stderr}`);
}

export async function stop(child) {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  children.delete(child);
}

export const rssMiB = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)?.[1] ?? NaN) / 1024;
/**
 * CPU time (user + system) of a process in ms, summed over its threads (V8's GC helpers, libuv's pool) from each
 * thread's `schedstat`, in nanoseconds: `stat` counts 10 ms clock ticks, which made a five-request row move in 2 ms
 * steps. Where the kernel keeps no schedstat, the ticks (one source for the whole run, so differences stay whole).
 */
const schedstat = existsSync('/proc/self/schedstat');
export const cpuMs = (pid) => {
  if (schedstat) {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return ns / 1e6;
  }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** CPU time of a process's main thread alone (its JavaScript), in ms; undefined where the kernel keeps no schedstat. */
export const mainThreadCpuMs = (pid) => (schedstat ? Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6 : undefined);

/** Kills every process started here that is still running. */
export function killAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

export async function chainConfigs(dir, mockUrl) {
  const { builtins } = await import(pathToFileURL(join(root, 'dist', 'plugins.config.js')).href);
  const configs = [];
  const write = (name, text) => {
    const file = join(dir, `${name}.config.mjs`);
    writeFileSync(file, text);
    return file;
  };
  if (builtins['copilot-upstream'] && builtins['header-injector'] && builtins['auth-env-bearer']) {
    configs.push({
      name: 'passthrough',
      label: 'Copilot pass-through',
      config: write('passthrough', `export default { plugins: ['copilot-upstream', 'header-injector', 'auth-env-bearer'] };\n`),
      env: { COPILOT_RESPONSES_URL: `${mockUrl}/responses`, COPILOT_MODELS_URL: `${mockUrl}/models`, COPILOT_BEARER_TOKEN: 'bench' },
    });
  } else {
    const plugin = `{ name: 'bench-upstream', apply({ hooks }) { hooks.request.tapPromise('bench-upstream', async (ex) => { ex.upstream.url = new URL('/responses', ${JSON.stringify(mockUrl)}); }); } }`;
    configs.push({ name: 'passthrough', label: 'pass-through (URL plugin)', config: write('passthrough', `export default { plugins: [${plugin}] };\n`), env: {} });
  }
  const translatorFile = join(root, 'dist', 'src', 'plugins', 'chat-translator', 'index.js');
  const options = JSON.stringify({ baseUrl: mockUrl, apiKey: 'bench' });
  if (builtins['chat-translator']) {
    configs.push({ name: 'translator', label: 'chat translator', config: write('translator', `export default { plugins: [['chat-translator', ${options}]] };\n`), env: {} });
  } else if (existsSync(translatorFile)) {
    configs.push({
      name: 'translator',
      label: 'chat translator',
      config: write('translator', `import translator from ${JSON.stringify(pathToFileURL(translatorFile).href)};\nexport default { plugins: [[translator, ${options}]] };\n`),
      env: {},
    });
  } else {
    configs.push({ name: 'translator', label: 'chat translator', pending: true });
  }
  if (builtins['messages-translator']) {
    configs.push({ name: 'messages', label: 'messages translator', config: write('messages', `export default { plugins: [['messages-translator', ${options}]] };\n`), env: {} });
  } else {
    configs.push({ name: 'messages', label: 'messages translator', pending: true });
  }
  return configs;
}

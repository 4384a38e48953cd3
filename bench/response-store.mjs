// What the response store costs a translated request: `node bench/response-store.mjs` (after `npm run build`).
// One `ccrx serve` with a chat-translator chain in a fresh state directory, the bench's mock upstream, and three
// kinds of request interleaved in rounds so background load falls on all alike:
//   store:false       Codex's way: the store is never touched
//   kept             store not false: the request and its response are written after the answer
//   chained          previous_response_id of the last kept response: the conversation is read before translation,
//                    and grows by one turn per request (the chain is walked back to its start every time)
// Prints p50/p99 of the whole request (client side) and the database size. Sequential requests, one connection.
// Then, in this process, the store's own CPU time per operation (process.cpuUsage: less moved by other load on the
// machine than wall time): keeping a response (queue and commit) and expanding previous_response_id chains.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 30);
const children = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => res(port));
    });
  });
}

function spawnMock() {
  const child = spawn(process.execPath, [join(root, 'bench', 'mock-upstream.mjs'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((res) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\d+)/);
      if (m) res(`http://127.0.0.1:${m[1]}`);
    });
  });
}

async function spawnGateway(config, stateDir) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin', 'ccrx.js'), 'serve', '--config', config, '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CODEX_CODE_ROUTER_STATE_DIR: stateDir, LOG_LEVEL: 'warn' } });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 3000; i++) {
    if (await fetch(`${url}/health`).then((r) => r.ok, () => false)) return url;
    await sleep(5);
  }
  throw new Error('ccrx serve did not become healthy');
}

const body = (extra) => JSON.stringify({ model: 'bench-small', stream: true, instructions: 'You are a bench.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] }], tools: [], ...extra });

async function send(url, payload) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || !text.includes('"response.completed"')) throw new Error(`bench request failed: ${res.status} ${text.slice(0, 300)}`);
  return { ms, id: /"type":"response\.completed","response":\{"id":"([^"]+)"/.exec(text)?.[1] };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** CPU microseconds per call of `fn`, over `n` calls. */
function cpuPer(n, fn) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

async function storeCost(dir) {
  const { ResponseStore } = await import(join(root, 'dist', 'src', 'response-store', 'index.js'));
  const { createLogger } = await import(join(root, 'dist', 'src', 'core', 'logger.js'));
  const store = ResponseStore.open(join(dir, 'cost', 'responses.db'), { maxResponses: 100_000, maxBytes: 1e9, maxAgeMs: 864e5 }, createLogger({ level: 'silent', pretty: false }));
  const response = (id) => ({ id, object: 'response', status: 'completed', model: 'm', output: [{ id: `msg_${id}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello! How can I help you today?', annotations: [] }] }], usage: { input_tokens: 5, output_tokens: 9, total_tokens: 14 } });
  const request = (previous) => ({ model: 'm', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello.' }] }], ...(previous ? { previous_response_id: previous } : {}) });
  let n = 0;
  const keep = cpuPer(2000, () => {
    const id = `resp_k${n++}`;
    store.keep(store.expand('c', request()).keep, response(id));
    store.flush();
  });
  const chains = {};
  for (const length of [1, 10, 100]) {
    let last;
    for (let i = 0; i < length; i++) {
      const id = `resp_c${length}_${i}`;
      store.keep(store.expand('c', request(last)).keep, response(id));
      store.flush();
      last = id;
    }
    chains[length] = cpuPer(length >= 100 ? 200 : 2000, () => store.expand('c', request(last)));
  }
  store.close();
  process.stdout.write(`\nstore CPU per operation (this process): keep one response (queue + commit) ${keep.toFixed(0)} µs; expand previous_response_id with 1 / 10 / 100 earlier turns ${chains[1].toFixed(0)} / ${chains[10].toFixed(0)} / ${chains[100].toFixed(0)} µs\n`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-bench-store-'));
  try {
    const mock = await spawnMock();
    const config = join(dir, 'translator.config.mjs');
    writeFileSync(config, `export default { plugins: [['chat-translator', ${JSON.stringify({ baseUrl: mock, apiKey: 'bench' })}]] };\n`);
    const url = await spawnGateway(config, join(dir, 'state'));
    const samples = { off: [], kept: [], chained: [] };
    let last;
    for (let i = 0; i < 100; i++) last = (await send(url, body({}))).id; // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) samples.off.push((await send(url, body({ store: false }))).ms);
      for (let i = 0; i < PER_ROUND; i++) samples.kept.push((await send(url, body({}))).ms);
      for (let i = 0; i < PER_ROUND; i++) {
        const r = await send(url, body({ previous_response_id: last }));
        samples.chained.push(r.ms);
        last = r.id;
      }
    }
    const turns = ROUNDS * PER_ROUND;
    const rows = [
      ['store: false (Codex)', samples.off],
      ['kept (store not false)', samples.kept],
      [`chained (previous_response_id, 1 to ${turns} earlier turns)`, samples.chained],
    ];
    process.stdout.write(`| Request | p50 ms | p99 ms | n |\n|---|---|---|---|\n`);
    for (const [label, xs] of rows) process.stdout.write(`| ${label} | ${pct(xs, 50).toFixed(2)} | ${pct(xs, 99).toFixed(2)} | ${xs.length} |\n`);
    const db = join(dir, 'state', 'responses', 'responses.db');
    const wal = `${db}-wal`;
    const size = (f) => {
      try {
        return statSync(f).size;
      } catch {
        return 0;
      }
    };
    process.stdout.write(`\ndatabase after ${turns * 2 + 100} kept responses: ${size(db)} B (+ ${size(wal)} B write-ahead log)\n`);
    await storeCost(dir);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  for (const child of children) child.kill('SIGKILL');
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});

// `npm run bench:first-request`: what a session's first request (a long Codex history that no remembered prefix
// covers) costs at least. Beside the floor and the translators it runs Koa + undici proxies that do the least a
// translator does with the body: read it whole, check it (JSON.parse), and write every value again (parse, serialize,
// encode). Every request is a new session, as in `npm run bench`'s first-request row; prints a Markdown table of CPU
// per request. `FIRST_REQUEST_MB` sets the history's size (1), `FIRST_REQUEST_ROUNDS` the rounds (6).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyBody, loadRecorded, sealers, sessionVariant } from './codex-history.mjs';
import { closedLoop, createClient } from './load.mjs';
import { chainConfigs, cpuMs, killAll, mainThreadCpuMs, root, spawnGateway, spawnListening } from './processes.mjs';
import { machine, median } from './report.mjs';

const MB = Number(process.env.FIRST_REQUEST_MB ?? 1);
const ROUNDS = Number(process.env.FIRST_REQUEST_ROUNDS ?? 6);
/** Requests per target and round, at concurrency 4 (the bench's first-request row). */
const PER_ROUND = Math.max(4, Math.round(40 / MB));

async function main() {
  const recorded = loadRecorded(root);
  if (recorded.skip) {
    process.stdout.write(`skipped: ${recorded.skip}\n`);
    return;
  }
  const seal = await sealers(root);
  const history = (sealer) => historyBody(recorded, { model: 'bench-events-20', targetBytes: MB * 1024 * 1024, seal: sealer }).text;
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-first-request-'));
  const host = machine();
  try {
    const mock = await spawnListening('mock-upstream.mjs', ['0']);
    const targets = [];
    const floor = await spawnListening('floor-proxy.mjs', ['0', mock.url]);
    targets.push({ label: 'floor (node:http, piped)', url: floor.url, path: '/responses', pid: floor.child.pid });
    for (const [work, label] of [
      ['none', 'Koa + undici, body read whole'],
      ['parse', '… and checked with JSON.parse'],
      ['reserialize', '… parsed, serialized and encoded again'],
    ]) {
      const koa = await spawnListening('koa-proxy.mjs', ['0', mock.url, work]);
      targets.push({ label, url: koa.url, path: '/v1/responses', pid: koa.child.pid });
    }
    for (const chain of await chainConfigs(dir, mock.url)) {
      if (chain.pending) continue;
      const gw = await spawnGateway(chain.config, chain.env);
      targets.push({ label: chain.label, url: gw.url, path: '/v1/responses', pid: gw.child.pid, own: chain.name === 'messages' ? 'messages' : 'chat' });
    }
    const bodies = { chat: history(seal.chat), messages: seal.messages ? history(seal.messages) : undefined };
    let session = 0;
    const run = (t, requests) => closedLoop(t.client, t.path, () => sessionVariant(bodies[t.own ?? 'chat'], (session += 1)), { concurrency: 4, durationMs: 30_000, maxRequests: requests });
    for (const t of targets) {
      t.client = createClient(t.url, 8);
      t.cpu = [];
      t.main = [];
      await run(t, PER_ROUND);
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      // Every target in turn, the order reversed every other round: a burst of load elsewhere falls on all alike.
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const before = cpuMs(t.pid);
        const mainBefore = mainThreadCpuMs(t.pid);
        const out = await run(t, PER_ROUND);
        const failed = out.results.filter((r) => !r.ok);
        if (failed.length) throw new Error(`${t.label}: ${failed.length} requests failed (status ${failed[0].status})`);
        t.cpu.push((cpuMs(t.pid) - before) / out.results.length);
        if (mainBefore !== undefined) t.main.push((mainThreadCpuMs(t.pid) - mainBefore) / out.results.length);
      }
    }
    const floorMs = median(targets[0].cpu);
    const mb = Buffer.byteLength(bodies.chat) / 1024 / 1024;
    const lines = [
      `Run on ${host.date}: ${host.cpu}, ${host.cores} cores, Node ${process.version}; 1-minute load average ${host.load} when the run began and ${machine().load} when it ended.`,
      `A session's first request, long Codex history of ${mb.toFixed(1)} MB, concurrency 4, ${ROUNDS} rounds of ${PER_ROUND} requests per target; CPU per request of the server process, every thread (median of the rounds, and their range), and of its main thread alone (the JavaScript; the others are V8's garbage collection helpers and libuv's).`,
      '',
      '| Target | CPU per request (ms) | range | × floor | main thread (ms) |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...targets.map((t) => {
        const ms = median(t.cpu);
        const main = t.main.length ? median(t.main).toFixed(2) : '–';
        return `| ${t.label} | ${ms.toFixed(2)} | ${Math.min(...t.cpu).toFixed(2)}–${Math.max(...t.cpu).toFixed(2)} | ${(ms / floorMs).toFixed(2)} | ${main} |`;
      }),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

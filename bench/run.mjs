// `npm run bench`: measures the pass-through and translator chains against a direct connection and a minimal
// proxy (the floor), and writes the results to docs/performance.md. BENCH_QUICK=1 runs a short smoke version
// (numbers not written). Loopback only; every loop is bounded in time and count.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { growingSessions, historyBody, loadRecorded, sealers, sessionVariant } from './codex-history.mjs';
import { burst, closedLoop, sessionsLoop, createClient, sendOnce } from './load.mjs';
import { chainConfigs, cpuMs, killAll, root, rssMiB, sleep, spawnGateway, spawnListening, stop } from './processes.mjs';
import { machine, median, percentile, renderSection, writeReport } from './report.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const scale = QUICK ? 0.2 : 1;
const benchStart = performance.now();

// ----- Request bodies -----

const body = (model, text = 'Say hello.') =>
  JSON.stringify({ model, stream: true, instructions: 'You are a bench.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }], tools: [], store: false });
/** A request as Codex 0.169 sends it (instructions, history and its ~30 tool definitions: about 48 KB). */
const codexBody = () => JSON.stringify(JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'codex-0.169', 'tool-loop-turn1.json'), 'utf8')).body);
const bigBody = (bytes) => body('bench-small', 'x'.repeat(bytes - body('bench-small', '').length));
const withModel = (text, model) => JSON.stringify({ ...JSON.parse(text), model });

/**
 * Long Codex histories (bench/codex-history.mjs), one per carrier format: a translator gets reasoning items it sealed
 * itself, as in a real session; the proxies and the pass-through get the chat translator's (they only move bytes).
 */
async function histories() {
  const recorded = loadRecorded(root);
  if (recorded.skip) return { skip: recorded.skip };
  const seal = await sealers(root);
  const make = (targetBytes, sealer) => historyBody(recorded, { model: 'bench-events-20', targetBytes, seal: sealer });
  const grow = (sealer) => growingSessions(recorded, { model: 'bench-events-20', targetBytes: 1024 * 1024, seal: sealer, sessions: SESSIONS, turns: TURNS });
  const out = { mb1: { chat: make(1024 * 1024, seal.chat) }, mb5: { chat: make(5 * 1024 * 1024, seal.chat) }, growing: { chat: grow(seal.chat) } };
  if (seal.messages) {
    out.mb1.messages = make(1024 * 1024, seal.messages);
    out.mb5.messages = make(5 * 1024 * 1024, seal.messages);
    out.growing.messages = grow(seal.messages);
  }
  return out;
}

/** Sessions at once in the growing-history row, and requests (turns) each. */
const SESSIONS = 4;
const TURNS = QUICK ? 3 : 15;

/** Runs a closed loop and adds the target's CPU time per request (from /proc) to the run. */
async function withCpu(t, loop) {
  const before = t.pid ? cpuMs(t.pid) : undefined;
  const run = await loop();
  return { ...run, cpu: t.pid ? (cpuMs(t.pid) - before) / run.results.length : undefined };
}

// ----- Scenarios -----

/**
 * Scenarios run in rounds, and each round visits every target in turn, so a burst of load from elsewhere on the
 * machine falls on all of them alike; samples are pooled across rounds. The large bodies come in rounds of their own,
 * after the rest: megabyte buffers leave a Node server slower for the next few thousand small requests (garbage
 * collection and re-optimized stream code; measured in docs/performance.md), which would make the small-request rows
 * measure the aftermath of a 10 MB upload rather than the chain.
 */
const ROUNDS = QUICK ? 1 : 5;

function scenarios() {
  const small = body('bench-small');
  const events = QUICK ? 5_000 : 20_000;
  const latencies = (run) => run.results.map((r) => r.totalMs);
  return [
    // Single-request latency is what a machine's background load moves most: ten short slices per round, visiting
    // every target in turn, so each target sees the same moments.
    { key: 'c1', slices: 10, run: (t) => closedLoop(t.c1, t.path, small, { concurrency: 1, durationMs: 150 * scale }), collect: latencies },
    { key: 'codex', slices: 10, run: (t) => closedLoop(t.c1, t.path, t.codex, { concurrency: 1, durationMs: 150 * scale }), collect: latencies },
    {
      key: 'c32',
      run: async (t) => {
        const before = t.pid ? cpuMs(t.pid) : undefined;
        const run = await closedLoop(t.c32, t.path, small, { concurrency: 32, durationMs: 1_000 * scale });
        return { ...run, cpu: t.pid ? cpuMs(t.pid) - before : undefined };
      },
      collect: (run) => run.results.map((r) => ({ ms: r.totalMs, rps: (run.results.length / run.elapsedMs) * 1000, cpu: run.cpu === undefined ? undefined : run.cpu / run.results.length })),
    },
    { key: 'events', run: async (t) => ({ results: [await sendOnce(t.c1, t.path, body(`bench-events-${events}`))] }), collect: (run) => run.results.map((r) => (events / r.totalMs) * 1000) },
    { key: 'ttfb', run: (t) => closedLoop(t.c1, t.path, body('bench-paced-20-3'), { concurrency: 1, durationMs: 10_000, maxRequests: Math.ceil(10 * scale) }), collect: (run) => run.results.map((r) => r.firstByteMs) },
    // A long answer to a real Codex request: 200 text deltas as fast as the socket takes them, 16 at a time.
    { key: 'stream200', run: (t) => withCpu(t, () => closedLoop(t.c16, t.path, t.codex200, { concurrency: 16, durationMs: 1_000 * scale })), collect: (run) => [{ cpu: run.cpu }] },
    { key: 'ttfbCodex', run: (t) => closedLoop(t.c1, t.path, t.codexPaced, { concurrency: 1, durationMs: 10_000, maxRequests: Math.ceil(10 * scale) }), collect: (run) => run.results.map((r) => r.firstByteMs) },
    // Each request the first of its session (its first user message has an id of its own): nothing remembered helps.
    { key: 'history1', large: true, history: true, run: (t) => withCpu(t, () => closedLoop(t.c16, t.path, () => sessionVariant(t.history1, (t.sessionCount += 1)), { concurrency: 4, durationMs: 2_000 * scale, maxRequests: QUICK ? 8 : 60 })), collect: (run) => run.results.map((r) => ({ ms: r.totalMs, cpu: run.cpu })) },
    // Four sessions at once, each sending its turns in order: the first as above, each next one a step longer.
    { key: 'historyNext', large: true, history: true, run: (t) => withCpu(t, () => sessionsLoop(t.c16, t.path, t.growing)), collect: (run) => run.results.map((r) => ({ ms: r.totalMs, cpu: run.cpu })) },
    // The same first request one at a time, as the 5 MB one runs: the linearity check compares those two.
    { key: 'history1c1', large: true, history: true, run: (t) => withCpu(t, () => closedLoop(t.c1, t.path, () => sessionVariant(t.history1, (t.sessionCount += 1)), { concurrency: 1, durationMs: 10_000, maxRequests: QUICK ? 2 : 10 })), collect: (run) => run.results.map((r) => ({ ms: r.totalMs, cpu: run.cpu })) },
    { key: 'history5', large: true, history: true, run: (t) => withCpu(t, () => closedLoop(t.c1, t.path, () => sessionVariant(t.history5, (t.sessionCount += 1)), { concurrency: 1, durationMs: 10_000, maxRequests: QUICK ? 1 : 5 })), collect: (run) => run.results.map((r) => ({ ms: r.totalMs, cpu: run.cpu })) },
    { key: 'body1', large: true, run: (t) => closedLoop(t.c1, t.path, t.big1, { concurrency: 1, durationMs: 20_000, maxRequests: QUICK ? 2 : 20 }), collect: latencies },
    { key: 'body10', large: true, run: (t) => closedLoop(t.c1, t.path, t.big10, { concurrency: 1, durationMs: 20_000, maxRequests: QUICK ? 1 : 4 }), collect: latencies },
  ];
}

async function measureAll(targets) {
  const big1 = bigBody(1024 * 1024);
  const big10 = bigBody(10 * 1024 * 1024);
  const codex = codexBody();
  const codex200 = withModel(codex, 'bench-events-200');
  const codexPaced = withModel(codex, 'bench-paced-20-3');
  const history = await histories();
  if (history.skip) process.stdout.write(`long-history rows skipped: ${history.skip}\n`);
  const live = targets.filter((t) => !t.pending);
  for (const t of live) {
    const carrier = t.name === 'messages' ? 'messages' : 'chat';
    const history1 = history.mb1?.[carrier]?.text;
    const history5 = history.mb5?.[carrier]?.text;
    const growing = history.growing?.[carrier];
    Object.assign(t, { growing, sessionCount: 0, c1: createClient(t.url, 1), c16: createClient(t.url, 16), c32: createClient(t.url, 32), big1, big10, codex, codex200, codexPaced, history1, history5, samples: {}, failures: {}, errors: 0 });
  }
  const note = (t, scenario, results) => {
    const bad = results.filter((r) => !r.ok);
    if (bad.length) t.failures[scenario] = `${bad.length}× status ${bad[0].status}${bad[0].error ? ` ${bad[0].error}` : ''}`;
    return bad.length;
  };
  // Warm every server (JIT, connection pools) before anything counts.
  for (const t of live) {
    await closedLoop(t.c1, t.path, body('bench-small'), { concurrency: 1, durationMs: 800 * scale });
    await closedLoop(t.c32, t.path, body('bench-small'), { concurrency: 32, durationMs: 2_500 * scale });
  }
  for (const large of [false, true]) {
    if (large) for (const t of live) await sendOnce(t.c1, t.path, big1);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const scenario of scenarios().filter((x) => Boolean(x.large) === large && (!x.history || !history.skip))) {
        for (let slice = 0; slice < (scenario.slices ?? 1); slice += 1) {
          for (const t of live) {
            const run = await scenario.run(t);
            t.errors += note(t, scenario.key, run.results);
            (t.samples[scenario.key] ??= []).push(...scenario.collect(run));
          }
        }
      }
      process.stdout.write(`${large ? 'large-body ' : ''}round ${round + 1}/${ROUNDS} done\n`);
    }
  }
  const results = {};
  for (const t of live) {
    const s = t.samples;
    results[t.name] = {
      c1p50: median(s.c1),
      c1p99: percentile(s.c1, 99),
      codexP50: median(s.codex),
      c32p50: median(s.c32.map((x) => x.ms)),
      c32p99: percentile(s.c32.map((x) => x.ms), 99),
      rps32: median(s.c32.map((x) => x.rps)),
      cpuPerReq: t.pid ? median(s.c32.map((x) => x.cpu)) : undefined,
      eventsPerSec: median(s.events),
      ttfb: median(s.ttfb),
      body1: median(s.body1),
      body10: median(s.body10),
      stream200Cpu: t.pid ? median(s.stream200.map((x) => x.cpu)) : undefined,
      ttfbCodex: median(s.ttfbCodex),
      history1Cpu: t.pid && s.history1 ? median(s.history1.map((x) => x.cpu)) : undefined,
      history1P50: s.history1 ? median(s.history1.map((x) => x.ms)) : undefined,
      historyNextCpu: t.pid && s.historyNext ? median(s.historyNext.map((x) => x.cpu)) : undefined,
      historyNextP50: s.historyNext ? median(s.historyNext.map((x) => x.ms)) : undefined,
      history1c1Cpu: t.pid && s.history1c1 ? median(s.history1c1.map((x) => x.cpu)) : undefined,
      history5Cpu: t.pid && s.history5 ? median(s.history5.map((x) => x.cpu)) : undefined,
      history5P50: s.history5 ? median(s.history5.map((x) => x.ms)) : undefined,
    };
  }
  // 200 slow streams last seconds each: once per target, with its RSS sampled throughout.
  for (const t of live) {
    const streams = createClient(t.url, 200);
    let peak = t.pid ? rssMiB(t.pid) : undefined;
    const sampler = t.pid ? setInterval(() => (peak = Math.max(peak, rssMiB(t.pid))), 25) : undefined;
    const run = await burst(streams, t.path, body(`bench-paced-50-${QUICK ? 10 : 40}`), 200);
    clearInterval(sampler);
    Object.assign(results[t.name], { slowErrors: note(t, 'slow', run.results), peakRss: peak, errors: t.errors });
    await Promise.all([t.c1.close(), t.c16.close(), t.c32.close(), streams.close()]);
    process.stdout.write(`${t.name}: ${JSON.stringify(results[t.name])}${Object.keys(t.failures).length ? `\n  failures: ${JSON.stringify(t.failures)}` : ''}\n`);
  }
  return { results, history };
}

function historyRows(history, value) {
  if (history.skip) return [];
  const kb = (h) => `${(h.chat.text.length / 1024 / 1024).toFixed(1)} MB, ${h.chat.items}${h.messages ? `/${h.messages.items}` : ''} items`;
  return [
    { label: `CPU per request, long Codex history (${kb(history.mb1)}), a session's first request, concurrency 4 (ms)`, unit: 'ms', values: value('history1Cpu') },
    { label: `latency p50, long Codex history (${kb(history.mb1)}), a session's first request, concurrency 4 (ms)`, unit: 'ms', values: value('history1P50') },
    { label: `CPU per request, long Codex history (1.0 MB on), ${SESSIONS} sessions of ${TURNS} turns at once (ms)`, unit: 'ms', values: value('historyNextCpu') },
    { label: `latency p50, long Codex history (1.0 MB on), ${SESSIONS} sessions of ${TURNS} turns at once (ms)`, unit: 'ms', values: value('historyNextP50') },
    { label: `CPU per request, long Codex history (${kb(history.mb1)}), a session's first request, concurrency 1 (ms)`, unit: 'ms', values: value('history1c1Cpu') },
    { label: `CPU per request, long Codex history (${kb(history.mb5)}), a session's first request, concurrency 1 (ms)`, unit: 'ms', values: value('history5Cpu') },
    { label: `latency p50, long Codex history (${kb(history.mb5)}), a session's first request, concurrency 1 (ms)`, unit: 'ms', values: value('history5P50') },
  ];
}

async function coldStarts(config, env, times) {
  const ms = [];
  for (let i = 0; i < times; i += 1) {
    const gw = await spawnGateway(config, env);
    ms.push(gw.startMs);
    await stop(gw.child);
  }
  return median(ms);
}

async function floorColdStart(mockUrl, times) {
  const ms = [];
  for (let i = 0; i < times; i += 1) {
    const t0 = performance.now();
    const { child, url } = await spawnListening('floor-proxy.mjs', ['0', mockUrl]);
    while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) await sleep(5);
    ms.push(performance.now() - t0);
    await stop(child);
  }
  return median(ms);
}

// ----- Main -----

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'ccrx-bench-'));
  const targets = [];
  const host = machine();
  try {
    const mock = await spawnListening('mock-upstream.mjs', ['0']);
    const floor = await spawnListening('floor-proxy.mjs', ['0', mock.url]);
    targets.push({ name: 'direct', kind: 'base', url: mock.url, path: '/responses' });
    targets.push({ name: 'floor', kind: 'base', url: floor.url, path: '/responses', pid: floor.child.pid });
    const koa = await spawnListening('koa-proxy.mjs', ['0', mock.url]);
    targets.push({ name: 'koa', kind: 'reference', label: 'Koa + undici, no plugins', url: koa.url, path: '/v1/responses', pid: koa.child.pid });
    const chains = await chainConfigs(dir, mock.url);
    for (const chain of chains) targets.push({ ...chain, kind: 'chain', path: '/v1/responses' });

    const gateways = [];
    for (const target of targets) {
      if (target.kind !== 'chain' || target.pending) continue;
      const gw = await spawnGateway(target.config, target.env);
      Object.assign(target, { url: gw.url, pid: gw.child.pid });
      gateways.push(gw.child);
    }
    const { results, history } = await measureAll(targets);
    for (const child of gateways) await stop(child);
    const startTimes = QUICK ? 1 : 5;
    const cold = { floor: await floorColdStart(mock.url, startTimes) };
    for (const chain of chains) if (!chain.pending) cold[chain.name] = await coldStarts(chain.config, chain.env, startTimes);
    await stop(floor.child);
    await stop(koa.child);
    await stop(mock.child);

    const pending = chains.filter((c) => c.pending).map((c) => c.name);
    const value = (key) => Object.fromEntries(Object.entries(results).map(([name, r]) => [name, r[key]]));
    const added = (key) => Object.fromEntries(Object.entries(results).filter(([name]) => name !== 'direct').map(([name, r]) => [name, r[key] - results.direct[key]]));
    const rows = [
      { label: 'latency p50, small request, concurrency 1 (ms)', unit: 'ms', values: value('c1p50') },
      { label: 'latency p99, small request, concurrency 1 (ms)', unit: 'ms', values: value('c1p99') },
      { label: `latency p50, a real Codex request (${Math.round(codexBody().length / 1024)} KB), concurrency 1 (ms)`, unit: 'ms', values: value('codexP50') },
      { label: 'latency p50, small request, concurrency 32 (ms)', unit: 'ms', values: value('c32p50') },
      { label: 'latency p99, small request, concurrency 32 (ms)', unit: 'ms', values: value('c32p99') },
      { label: 'requests per second, concurrency 32', unit: 'int', values: value('rps32'), higherIsBetter: true },
      { label: 'CPU per request, concurrency 32 (ms)', unit: 'ms', values: value('cpuPerReq') },
      { label: 'stream events per second (one stream)', unit: 'int', values: value('eventsPerSec'), higherIsBetter: true },
      { label: 'time to first byte, paced upstream (first event at 20 ms) (ms)', unit: 'ms', values: value('ttfb') },
      { label: 'CPU per request, 200-delta stream to a real Codex request, concurrency 16 (ms)', unit: 'ms', values: value('stream200Cpu') },
      { label: 'time to first byte added, a real Codex request, paced upstream (ms over direct)', unit: 'ms', values: added('ttfbCodex') },
      ...historyRows(history, value),
      { label: '1 MB request body, p50 (ms)', unit: 'ms', values: value('body1') },
      { label: '10 MB request body, p50 (ms)', unit: 'ms', values: value('body10') },
      { label: '200 concurrent slow streams (2 s each): failed', unit: 'int', values: value('slowErrors'), noRatio: true },
      { label: '200 concurrent slow streams: peak RSS of the server (MiB)', unit: 'int', values: value('peakRss') },
      { label: 'errors in all other scenarios', unit: 'int', values: value('errors'), noRatio: true },
    ].map((row) => ({ ...row, pending }));
    const coldStart = { label: `cold start to a healthy /health, median of ${startTimes} (ms)`, unit: 'ms', values: cold, pending };
    const notes = [
      'Latency is the whole answer (request sent to last byte of a five-event stream), measured at the client.',
      'Chains run at the default log level (info: one line per request), as a user runs them.',
      'The long histories are built from the recorded Codex 0.169 bodies (`bench/codex-history.mjs`): reasoning items with `encrypted_content` (each translator gets its own sealed carriers), function calls and their outputs, assistant messages; answered with 20 deltas. CPU per request is the server process\'s, from /proc, over the whole run of a scenario.',
      `The run took ${Math.round((performance.now() - benchStart) / 60_000)} minutes.`,
      ...(history.skip ? [`Long-history rows skipped: ${history.skip}.`] : []),
      ...(pending.length ? [`Pending: ${pending.join(', ')} (not built yet when this ran).`] : []),
    ];
    host.loadEnd = machine().load;
    const section = renderSection({ machine: host, targets, rows, coldStart, notes });
    process.stdout.write(`\n${section}\n`);
    if (!QUICK) writeReport(join(root, 'docs', 'performance.md'), section);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

// A reference between the floor and the gateway: the frameworks the gateway is built on (Koa, @koa/router
// and an undici Pool) forwarding a request with no plugin, no hook, no log line. What it costs over the
// floor is the price of those choices; what the gateway costs over it is the gateway's own work.
// `node bench/koa-proxy.mjs <port> <upstream origin> [body]` prints `listening <port>`. `body` is what is done with
// the request body before it is sent on (bench/first-request.mjs): `parse` (JSON.parse, as any proxy that checks
// its input must), `reserialize` (parsed, serialized and encoded again, unchanged: a translator that moves every
// value); without it, nothing.
import Router from '@koa/router';
import Koa from 'koa';
import { Pool } from 'undici';

const [port = '0', origin = 'http://127.0.0.1:1', work = 'none'] = process.argv.slice(2);
const bodyWork = {
  none: (body) => body,
  parse: (body) => (JSON.parse(body.toString('utf8')), body),
  reserialize: (body) => Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))),
}[work];
if (!bodyWork) throw new Error(`unknown body work ${work}: none, parse or reserialize`);
const pool = new Pool(origin, { keepAliveTimeout: 30_000 });
const app = new Koa();
const router = new Router({ strict: true });

router.post('/v1/responses', async (ctx) => {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const answer = await pool.request({ path: '/responses', method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: bodyWork(Buffer.concat(chunks)) });
  ctx.respond = false;
  ctx.res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream' });
  for await (const chunk of answer.body) if (!ctx.res.write(chunk)) await new Promise((r) => ctx.res.once('drain', r));
  ctx.res.end();
});
router.get('/health', (ctx) => void (ctx.body = { ok: true }));
app.use(router.routes());

const server = app.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
server.keepAliveTimeout = 60_000;
process.on('SIGTERM', () => process.exit(0));

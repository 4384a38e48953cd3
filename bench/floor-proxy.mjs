// The floor: the least a Node reverse proxy can do (pipe the request up, pipe the answer back, keep-alive both
// ways). `node bench/floor-proxy.mjs <port> <upstream origin>` prints `listening <port>`.
import { Agent, createServer, request } from 'node:http';

const [port = '0', origin = 'http://127.0.0.1:1'] = process.argv.slice(2);
const upstream = new URL(origin);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

const server = createServer((req, res) => {
  const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));

// What a deployment puts in front of docker-registry so browsers can use it
// with authentication: the registry answers a CORS preflight (an OPTIONS
// request, which browsers send without credentials) with 401 when auth is on
// (distribution/distribution#4458), and a browser then refuses the request.
// This proxy answers OPTIONS itself with 204 and the CORS headers the test
// registry sends (CORS_HEADERS), and passes everything else through untouched,
// as the reverse proxies in the registry UIs' documentation do.

import { createServer, request, type Server } from 'node:http';
import { CORS_HEADERS } from './registry-server.ts';

export interface PreflightProxy {
  /** HOST:PORT, as references name it. */
  host: string;
  close(): Promise<void>;
}

export async function startPreflightProxy(target: string): Promise<PreflightProxy> {
  const [hostname, port] = target.split(':');
  const server: Server = createServer((req, res) => {
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS_HEADERS).end();
    const upstream = request({ hostname, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// An HTTP proxy in front of a test registry that cuts chosen transfers
// short: the response to a request it picks is sent only up to a number of
// body bytes and then the connection is destroyed (a truncated download), or
// the request is cut while its body arrives (an interrupted push). Every
// request's method, path and Range header are recorded.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

export interface Cut {
  /** Whether to cut this request (called once per request, in order). */
  when(req: IncomingMessage): boolean;
  /** Cut the response after this many body bytes; or, with `request: true`, cut while the request body arrives. */
  afterBytes: number;
  request?: boolean;
}

export interface CuttingProxy {
  host: string;
  seen: { method: string; path: string; range: string | undefined }[];
  close(): Promise<void>;
}

export async function cuttingProxy(upstreamPort: number, cut: Cut): Promise<CuttingProxy> {
  const seen: CuttingProxy['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, range: req.headers.range });
    const cutThis = cut.when(req);
    if (cutThis && cut.request) {
      let received = 0;
      req.on('data', (c: Buffer) => {
        received += c.length;
        if (received >= cut.afterBytes) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    const up = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode!, upRes.statusMessage, upRes.headers);
      if (!cutThis) return void upRes.pipe(res);
      let sent = 0;
      upRes.on('data', (c: Buffer) => {
        if (sent >= cut.afterBytes) return;
        const part = c.subarray(0, cut.afterBytes - sent);
        sent += part.length;
        res.write(part, () => sent >= cut.afterBytes && res.socket?.destroy());
      });
      upRes.on('end', () => res.socket?.destroy());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

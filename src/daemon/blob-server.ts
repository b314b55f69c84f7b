// Layer blobs for the engine's guest over its network card instead of the
// agent's serial line. The agent moves stdin through COM2 a FIFO's worth of
// bytes per interrupt, 60 KiB per guest command: a 48 MB layer took the best
// part of an hour of a loaded machine that way. The guest's card reaches the
// host's loopback as 10.0.2.2 (the user-mode network's gateway), so the engine
// serves each blob it hands over on a loopback port, at a path of 128 random
// bits that exists only while that hand-over lasts, and the guest fetches it
// with wget (then checks its sha256, as it checks every blob).

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { BlobCourier } from '../containers/engine/layers.ts';

export interface BlobServer extends BlobCourier {
  close(): Promise<void>;
}

/** Serves offered blobs on 127.0.0.1 at an ephemeral port, to the guest that sees the host's loopback as `hostAddress`. */
export async function startBlobServer(hostAddress: string): Promise<BlobServer> {
  const offered = new Map<string, Uint8Array>();
  const server: Server = createServer((req, res) => {
    const data = req.method === 'GET' ? offered.get(req.url ?? '') : undefined;
    if (!data) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
    res.end(data);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    offer(data) {
      const path = `/${randomBytes(16).toString('hex')}`;
      offered.set(path, data);
      return { url: `http://${hostAddress}:${port}${path}`, withdraw: () => offered.delete(path) };
    },
    close: () =>
      new Promise((resolve) => {
        offered.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

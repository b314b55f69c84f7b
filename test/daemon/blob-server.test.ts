// The engine's blob server (layers to the guest over its network card): a
// blob is there, byte for byte, only at the path of its offer and only while
// the offer lasts; any other path or method gets a 404. undici's fetch is the
// client, as wget is the guest's.

import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startBlobServer } from '../../src/daemon/blob-server.ts';

describe('blob server', async () => {
  const server = await startBlobServer('127.0.0.1');
  afterAll(() => server.close());

  it('serves an offered blob whole at its URL until it is withdrawn', async () => {
    const data = randomBytes(3 << 20);
    const { url, withdraw } = server.offer(data);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
    const res = await fetch(url);
    expect([res.status, res.headers.get('content-length')]).toEqual([200, String(data.length)]);
    expect(Buffer.from(await res.arrayBuffer()).equals(data)).toBe(true);
    expect((await fetch(url, { method: 'POST', body: 'x' })).status).toBe(404);
    withdraw();
    expect((await fetch(url)).status).toBe(404);
  });

  it('answers 404 for any path no offer made, and offers of the same bytes get different paths', async () => {
    const data = randomBytes(100);
    const a = server.offer(data);
    const b = server.offer(data);
    expect(a.url).not.toBe(b.url);
    const origin = new URL(a.url).origin;
    for (const path of ['/', '/x', `/${'0'.repeat(32)}`, `${new URL(a.url).pathname}/`]) expect((await fetch(origin + path)).status).toBe(404);
    a.withdraw();
    expect((await fetch(b.url)).status).toBe(200);
    b.withdraw();
  });
});

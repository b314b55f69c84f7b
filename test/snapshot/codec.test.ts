// The browser's snapshot codec (CompressionStream, fflate, WebCrypto) and
// Node's (zlib, node:crypto) write and read the same format: each inflates
// what the other compressed, and both name bytes by the same SHA-256. Node's
// zlib is the oracle for the format.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webCodec } from '../../src/snapshot/codec.ts';
import { nodeCodec } from '../../src/snapshot/codec-node.ts';

// A page of text, zeros and noise, like RAM.
const data = new Uint8Array(65536);
new TextEncoder().encodeInto('glassbox snapshot codec '.repeat(700), data);
for (let i = 40000, x = 12345; i < 65536; i++) data[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;

describe("the browser codec and Node's", () => {
  it("inflate each other's output, synchronously and not", async () => {
    const [fromWeb, fromNode] = await Promise.all([webCodec.compress(data), nodeCodec.compress(data)]);
    expect(await nodeCodec.decompress(fromWeb)).toEqual(data);
    expect(webCodec.decompressSync!(fromNode)).toEqual(data);
    expect(await webCodec.decompress(fromNode)).toEqual(data);
    expect(nodeCodec.decompressSync!(fromWeb)).toEqual(data);
  });

  it('hash alike', async () => {
    const want = createHash('sha256').update(data).digest('hex');
    expect(await webCodec.sha256(data)).toBe(want);
    expect(await nodeCodec.sha256(data)).toBe(want);
  });
});

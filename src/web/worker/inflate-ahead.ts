// The tab inflates a snapshot's RAM chunks with fflate (snapshot/codec.ts),
// synchronously, when the guest first reaches one of their pages: the
// resumed guest's first slice, which reaches about 95 chunks on its way to
// the prompt, spent 0.5 to 0.9 s inflating (fflate is JavaScript, and its
// first chunks run before V8 has compiled it). The snapshot the page ships
// has those chunks first (scripts/web-snapshot.ts), so while the rest
// downloads, and the worker has nothing else to do, the first AHEAD chunks
// are inflated as they arrive, and the machine's codec takes them from here
// instead of inflating them again. They are the inflation of the very bytes
// the machine then checks against the header's digests before it uses any
// (format.ts's openSnapshot): the download's buffer, never written again.

import { unzlibSync } from 'fflate';
import { readHeader, type ChunkRef } from '../../snapshot/format.ts';
import { webCodec } from '../../snapshot/codec.ts';

/** Chunks inflated while the snapshot downloads: the shipped guest reaches about 95 before its prompt. */
const AHEAD = 128;
/** Bytes within which the header must have come (a 4 GiB guest's is smaller). */
const HEADER_LIMIT = 8 << 20;

export class InflateAhead {
  private chunks?: ChunkRef[];
  /** Where the body starts in the file. */
  private body = 0;
  private parsing = false;
  /** Bytes the last try at the header had: the next waits for twice as many. */
  private tried = 0;
  private next = 0;
  /** The download's buffer, and the chunks inflated from it by where their compressed bytes lie in it. */
  private buffer?: ArrayBufferLike;
  private readonly inflated = new Map<number, Uint8Array>();

  /** Feeds the snapshot's bytes received so far (a view of the download's buffer, valid during the call). */
  received(bytes: Uint8Array): void {
    if (this.next >= AHEAD) return;
    if (!this.chunks) return this.parse(bytes);
    if (bytes.buffer !== this.buffer) {
      // The download moved to a larger buffer (the server said no length, or a wrong one): start over in it.
      this.buffer = bytes.buffer;
      this.inflated.clear();
      this.next = 0;
    }
    while (this.next < Math.min(AHEAD, this.chunks.length)) {
      const c = this.chunks[this.next]!;
      const at = bytes.byteOffset + this.body + c.offset;
      if (at + c.length > bytes.byteOffset + bytes.length) return;
      try {
        this.inflated.set(at, unzlibSync(bytes.subarray(at - bytes.byteOffset, at - bytes.byteOffset + c.length)));
      } catch {
        // A damaged chunk: the machine's own checks say so.
      }
      this.next++;
    }
  }

  /** The inflated bytes of `z` (compressed bytes in the download's buffer) if inflated here; each is handed out once. */
  take(z: Uint8Array): Uint8Array | undefined {
    if (z.buffer !== this.buffer) return undefined;
    const done = this.inflated.get(z.byteOffset);
    this.inflated.delete(z.byteOffset);
    return done;
  }

  /** Reads the header once enough of the file is in (a copy: the view passed is gone after the call). */
  private parse(bytes: Uint8Array): void {
    if (this.parsing || bytes.length < 2 * this.tried) return;
    // No snapshot, or not one to inflate ahead of: the machine says what is wrong with it.
    if (bytes.length > HEADER_LIMIT) this.next = AHEAD;
    this.parsing = true;
    this.tried = bytes.length;
    const copy = bytes.slice();
    readHeader(copy, webCodec).then(
      ({ header, body }) => {
        this.chunks = header.chunks;
        this.body = body.byteOffset - copy.byteOffset;
        this.buffer = bytes.buffer;
      },
      // Not all of the header yet; tried again with more.
      () => (this.parsing = false),
    );
  }
}

// The snapshot the page ships: the cached booted guest's, with its RAM chunks
// in the order the tab needs them: first those the guest reaches on its way
// from the resume to the prompt, then the rest, each group by address. The
// tab's worker inflates the file's first chunks while the rest downloads
// (src/web/worker/inflate-ahead.ts), so the guest's first slice finds them
// ready. Which chunks those are is found here in Node, resuming the snapshot
// as the tab does (the same devices, the realtime clock, an empty line typed)
// and noting the chunks whose pages the guest filled by its prompt. The
// format lets chunks lie in any order; the bytes are otherwise the same.

import { Machine } from '../src/api/machine.ts';
import { nodePlatform } from '../src/api/index.ts';
import { WATCH_ABSENT } from '../src/core/core.ts';
import { nodeCodec } from '../src/snapshot/codec-node.ts';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot/format.ts';
import { CHUNK_PAGES } from '../src/snapshot/ram.ts';
import { MemoryDisk } from '../src/storage/memory-disk.ts';
import { nodeOutside } from '../src/net/node-outside.ts';
import { UserNet } from '../src/net/user-net.ts';

/** Guest time the resumed guest may take to print its prompt. */
const PROMPT_MS = 60_000;

/** The chunks (by first page) whose pages a machine resumed from `snapshot` fills before its shell prompts again. */
async function chunksToPrompt(snapshot: Uint8Array, diskBytes: number): Promise<Set<number>> {
  const net = new UserNet(nodeOutside());
  const m = await Machine.create({ snapshot, clock: 'realtime', disks: [new MemoryDisk(diskBytes)], network: { backend: net } }, nodePlatform);
  try {
    const watch = m.pc.core.pageWatch;
    const absent = watch.map((w) => w & WATCH_ABSENT);
    m.serial.write('\n');
    m.start();
    await m.waitFor('/ # ', { timeoutMs: PROMPT_MS });
    const reached = new Set<number>();
    for (let p = 0; p < watch.length; p++) if (absent[p] && !(watch[p]! & WATCH_ABSENT)) reached.add(p - (p % CHUNK_PAGES));
    return reached;
  } finally {
    m.stop();
    net.close();
  }
}

/** `snapshot` with the chunks the resumed guest reaches before its prompt first in the file. */
export async function orderForPage(snapshot: Uint8Array, diskBytes: number): Promise<Uint8Array> {
  const reached = await chunksToPrompt(snapshot, diskBytes);
  const { header, records, chunks } = await decodeSnapshot(snapshot, nodeCodec);
  const ordered = [...chunks.filter((c) => reached.has(c.first)), ...chunks.filter((c) => !reached.has(c.first))];
  const { format: _format, state: _state, chunks: _chunks, initrdPages, ...info } = header;
  return encodeSnapshot(info, records, ordered, nodeCodec, initrdPages);
}
